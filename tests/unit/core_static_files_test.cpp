// Static files without a socket: which targets name which file, and which
// files under a web root get listed at all.
#include "server/static_files.hpp"

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using roundtable::static_file_key;
using roundtable::static_files;
namespace fs = std::filesystem;

TEST_CASE("static_file_key maps targets to files under public/ and sdk/", "[static]") {
  CHECK(static_file_key("/") == "public/index.html");
  CHECK(static_file_key("/?join=abc") == "public/index.html");
  CHECK(static_file_key("/app.js") == "public/app.js");
  CHECK(static_file_key("/img/logo%20big.png") == "public/img/logo big.png");
  CHECK(static_file_key("/sdk/roundtable.js") == "sdk/roundtable.js");
  CHECK(static_file_key("/sdk") == "public/sdk");
  // Decoded once: a double-encoded dot stays a literal "%2e".
  CHECK(static_file_key("/%252e%252e") == "public/%2e%2e");
}

TEST_CASE("static_file_key refuses every segment that could climb or hide", "[static]") {
  for (std::string_view t :
       {"",        "*",      "index.html", "//etc/passwd", "/sdk//x",   "/a/",       "/sdk/",
        "/.",      "/..",    "/./a",       "/a/../b",      "/%2e%2e/x", "/%2E%2E/x", "/.%2e/x",
        "/%2fetc", "/a%2Fb", "/a%5cb",     "/a\\b",        "/a%00",     "/.hidden",  "/%2ehidden",
        "/sdk/.x", "/%zz",   "/a%2",       "http://h/x",   "/a#b"}) {
    INFO(t);
    CHECK(static_file_key(t).empty());
  }
}

TEST_CASE("static_files lists only regular files inside the root, within the size cap",
          "[static]") {
  roundtable::test::temp_dir tmp;
  fs::path const base = tmp.path();
  fs::path const root = base / "web";
  fs::create_directories(root / "public" / "img");
  fs::create_directories(root / "sdk");
  fs::create_directories(root / "public" / ".git");
  auto write = [](fs::path const& p, std::string const& s) { std::ofstream(p) << s; };
  write(root / "public" / "index.html", "<html>");
  write(root / "public" / "img" / "a.png", "png");
  write(root / "sdk" / "roundtable.js", "sdk");
  write(root / "public" / ".hidden", "no");
  write(root / "public" / ".git" / "config", "no");
  write(root / "public" / "big.bin", std::string(2000, 'x'));
  write(root / "secret.txt", "no");
  write(base / "outside.txt", "no");
  fs::create_symlink(base / "outside.txt", root / "public" / "out.txt");
  fs::create_directory_symlink(base, root / "public" / "up");
  fs::create_symlink(root / "sdk" / "roundtable.js", root / "public" / "inside.js");

  static_files const files(root.string(), 1000);
  CHECK(files.size() == 4);  // index.html, img/a.png, sdk/roundtable.js, inside.js
  REQUIRE(files.find("/") != nullptr);
  CHECK(files.find("/")->body == "<html>");
  CHECK(files.find("/")->content_type == "text/html; charset=utf-8");
  CHECK(files.find("/img/a.png")->content_type == "image/png");
  CHECK(files.find("/sdk/roundtable.js")->body == "sdk");
  CHECK(files.find("/inside.js")->body == "sdk");  // a link that stays inside is kept
  for (std::string_view t : {"/.hidden", "/.git/config", "/big.bin", "/secret.txt",
                             "/../secret.txt", "/out.txt", "/up/outside.txt", "/missing"}) {
    INFO(t);
    CHECK(files.find(t) == nullptr);
  }
  // Files are read once: a change on disk after start is not served.
  write(root / "public" / "index.html", "changed");
  write(root / "public" / "new.html", "new");
  CHECK(files.find("/")->body == "<html>");
  CHECK(files.find("/new.html") == nullptr);
}

TEST_CASE("static_files with a missing root serves nothing", "[static]") {
  static_files const files("/nonexistent/roundtable-web-root");
  CHECK(files.size() == 0);
  CHECK(files.find("/") == nullptr);
}
