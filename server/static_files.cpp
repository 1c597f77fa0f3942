// Static files: the list built at start, and the mapping from a request
// target to an entry of that list.
#include "server/static_files.hpp"

#include "server/log.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace roundtable {

namespace fs = std::filesystem;

namespace {

std::string_view content_type_of(fs::path const& p) {
  auto const ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".ts") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool inside(fs::path const& root, fs::path const& p) {
  auto const [r, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

bool hidden(fs::path const& relative) {
  return std::any_of(relative.begin(), relative.end(),
                     [](fs::path const& part) { return part.native().starts_with('.'); });
}

// One decoded URL path segment, or empty when it may not name a file.
std::string decoded_segment(std::string_view encoded) {
  auto const pct = boost::urls::make_pct_string_view(encoded);
  if (!pct) return {};
  std::string s = pct->decode();
  if (s.empty() || s.front() == '.' || s.find_first_of(std::string_view("/\\\0", 3)) != s.npos)
    return {};
  return s;
}

}  // namespace

std::string static_file_key(std::string_view target) {
  auto const url = boost::urls::parse_origin_form(target);
  if (!url) return {};
  std::string_view path = url->encoded_path();
  if (path == "/") return "public/index.html";
  if (!path.starts_with('/')) return {};
  path.remove_prefix(1);
  std::string key;
  while (true) {
    auto const slash = path.find('/');
    auto const segment = decoded_segment(path.substr(0, slash));
    if (segment.empty()) return {};
    // The first segment picks the folder: sdk/ for /sdk/..., else public/.
    if (key.empty() && (segment != "sdk" || slash == path.npos)) key = "public/";
    key += segment;
    if (slash == path.npos) return key;
    key += '/';
    path.remove_prefix(slash + 1);
  }
}

static_files::static_files(std::string const& root, std::size_t max_file_bytes) {
  std::error_code ec;
  auto const base = fs::canonical(root, ec);
  if (ec) {
    log::warn("web root not found: no static files", {{"web_root", root}});
    return;
  }
  for (auto const* folder : {"public", "sdk"}) {
    fs::recursive_directory_iterator it(base / folder, fs::directory_options::none, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      auto const relative = it->path().lexically_relative(base);
      if (hidden(relative)) {
        it.disable_recursion_pending();
        continue;
      }
      auto const real = fs::canonical(it->path(), ec);
      if (ec || !inside(base, real) || !fs::is_regular_file(real, ec)) {
        if (!ec && !inside(base, real))
          log::warn("static file leads out of the web root: skipped",
                    {{"file", relative.generic_string()}});
        ec.clear();
        continue;
      }
      auto const bytes = fs::file_size(real, ec);
      if (ec || bytes > max_file_bytes) {
        log::warn("static file over the size cap: skipped",
                  {{"file", relative.generic_string()}, {"bytes", std::to_string(bytes)}});
        ec.clear();
        continue;
      }
      std::ifstream in(real, std::ios::binary);
      std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      files_.emplace(relative.generic_string(), file{std::move(body), content_type_of(real)});
    }
    ec.clear();
  }
  log::info("static files loaded",
            {{"web_root", base.string()}, {"files", std::to_string(files_.size())}});
}

static_files::file const* static_files::find(std::string_view target) const {
  auto const key = static_file_key(target);
  if (key.empty()) return nullptr;
  auto const it = files_.find(key);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace roundtable
