// libFuzzer target for the HTTP request path: arbitrary bytes go through a
// Beast request parser with the server's limits, and every target that comes
// out (and the raw input itself, as a target) goes through the static-file
// mapping. A target may name nothing or one of the files listed from the web
// client at start; a key it maps to never climbs, hides or leaves public/ and
// sdk/ (ASan/UBSan watch the rest).
#include "server/static_files.hpp"

#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

namespace http = boost::beast::http;

void check(bool ok, char const* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

void check_target(roundtable::static_files const& files, std::string_view target) {
  auto const key = roundtable::static_file_key(target);
  auto const* file = files.find(target);
  if (key.empty()) {
    check(file == nullptr, "a refused target names a file");
    return;
  }
  std::string_view k = key;
  check(k.starts_with("public/") || k.starts_with("sdk/"), "key outside public/ and sdk/");
  check(k.find('\0') == k.npos && k.find('\\') == k.npos, "NUL or backslash in a key");
  check(k.find("//") == k.npos && !k.ends_with('/'), "empty segment in a key");
  check(k.find("/.") == k.npos, "dot segment or dot file in a key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static roundtable::static_files const files(ROUNDTABLE_WEB_ROOT);
  std::string_view const input(reinterpret_cast<char const*>(data), size);
  check_target(files, input);

  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);  // as server/net.cpp
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  auto const& req = parser.get();
  check_target(files, std::string_view(req.target().data(), req.target().size()));
  return 0;
}
