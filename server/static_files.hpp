// The web client's static files, confined to the web root by construction:
// the files under <root>/public and <root>/sdk are listed and read into memory
// once at start, and a request can only ever name one of them. Nothing on
// disk is opened while serving, so no path trick reaches another file and no
// I/O thread waits on a disk read.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace roundtable {

class static_files {
 public:
  struct file {
    std::string body;
    std::string_view content_type;
  };

  // Why 1 MiB: the whole web client is about 120 KB; the cap keeps a stray
  // large file (a video, a build artefact) from being held in memory.
  static constexpr std::size_t default_max_file_bytes = 1 << 20;

  // Lists and reads the regular files under <root>/public and <root>/sdk
  // whose canonical path lies inside the canonical root (a symlink that leads
  // out is skipped), leaving out dot files and files over `max_file_bytes`
  // (each skip logged). A missing root gives an empty list.
  explicit static_files(std::string const& root,
                        std::size_t max_file_bytes = default_max_file_bytes);

  // The file a request target (path and query) names, or null: `/` is
  // public/index.html, `/sdk/x` is sdk/x, `/x` is public/x. The path is
  // percent-decoded once per segment; a target that does not parse, or with a
  // segment that is empty, starts with a dot, or holds `/`, `\` or NUL after
  // decoding, names nothing.
  file const* find(std::string_view target) const;

  std::size_t size() const noexcept { return files_.size(); }

 private:
  std::map<std::string, file, std::less<>> files_;  // by path relative to the root
};

// The relative file path (e.g. "public/app.js") a request target names under
// the rules of static_files::find, or empty when the target is refused.
std::string static_file_key(std::string_view target);

}  // namespace roundtable
