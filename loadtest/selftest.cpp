// `roundtable-loadgen selftest`: checks the generator's own measuring parts without a
// network, so a wrong figure cannot come from them unnoticed: histogram percentiles and
// bucket bounds, the message stamp, the server-object reader (field order, nesting,
// escapes, the hello `plenary` snapshot) and the Engine.IO framing. Prints
// "N passed, M failed" and returns non-zero on any failure.
#include "loadtest/selftest.hpp"
#include "loadtest/histogram.hpp"
#include "loadtest/wire.hpp"

#include <cstdio>
#include <memory>
#include <string>

namespace loadtest {

namespace {

struct checker {
  int passed = 0;
  int failed = 0;
  void operator()(bool ok, char const* what) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAILED: %s\n", what);
    }
  }
};

bool within(std::uint64_t got, std::uint64_t want, double rel) {
  double const g = static_cast<double>(got);
  double const w = static_cast<double>(want);
  return g >= w * (1 - rel) && g <= w * (1 + rel);
}

void histogram_checks(checker& check) {
  // Every value lands in a bucket whose bounds contain it, for small and huge values.
  bool bounds_ok = true;
  for (std::uint64_t v :
       {0ULL, 1ULL, 31ULL, 32ULL, 33ULL, 1000ULL, 123456789ULL, 1ULL << 40, ~0ULL}) {
    int const i = histogram::index_of(v);
    if (i < 0 || i >= histogram::bucket_count || histogram::lower_bound(i) > v) bounds_ok = false;
    if (i + 1 < histogram::bucket_count && histogram::lower_bound(i + 1) <= v) bounds_ok = false;
  }
  check(bounds_ok, "histogram bucket bounds contain their values");

  auto h = std::make_unique<histogram>();
  check(h->percentile(0.5) == 0 && h->count() == 0, "empty histogram reports 0");
  for (std::uint64_t v = 1; v <= 100000; ++v) h->record(v * 1000);  // 1 us .. 100 ms
  check(h->count() == 100000, "histogram counts every record");
  check(within(h->percentile(0.5), 50'000'000, 0.04), "p50 of a uniform range");
  check(within(h->percentile(0.99), 99'000'000, 0.04), "p99 of a uniform range");
  check(within(h->percentile(0.999), 99'900'000, 0.04), "p99.9 of a uniform range");
  check(h->max() == 100'000'000 && h->percentile(1.0) <= h->max(), "max is exact");

  auto other = std::make_unique<histogram>();
  other->record(5'000'000'000ULL);
  h->merge(*other);
  check(h->count() == 100001 && h->max() == 5'000'000'000ULL, "merge adds counts and max");
  h->reset();
  check(h->count() == 0 && h->max() == 0 && h->percentile(0.5) == 0, "reset empties");
}

void stamp_checks(checker& check) {
  std::int64_t t = 0, tag = 0;
  auto const s = make_stamp(1234567890123, 42, 64);
  check(s.size() == 64, "stamp padded to the requested size");
  check(read_stamp(s, t, tag) && t == 1234567890123 && tag == 42, "stamp reads back");
  check(!read_stamp("hello", t, tag) && !read_stamp("t=12", t, tag), "non-stamps refused");
}

void reader_checks(checker& check) {
  object_reader reader;
  server_object o;
  // Field order is free and nested objects carry their own seq: only the top level counts.
  check(reader.parse(R"({"seq":7,"from":{"id":"p1","seq":99},"room":"t1","epoch":3,)"
                     R"("type":"message","text":"t=5 p=\"x\"","id":"m7","ts":1})",
                     o) &&
            o.type == "message" && o.seq == 7 && o.epoch == 3 && o.room == "t1" &&
            o.text == "t=5 p=\"x\"",
        "message fields in any order, nested seq ignored, escapes decoded");
  check(reader.parse(R"({"type":"reply","rid":2,"ok":true,"snapshot":{"room":"t2","epoch":5,)"
                     R"("seq":41,"messages":[{"seq":40,"room":"t2"}],"participants":[]}})",
                     o) &&
            o.rid == 2 && o.ok && o.has_snapshot && o.snapshot_room == "t2" &&
            o.snapshot_seq == 41 && o.snapshot_epoch == 5 && o.seq == -1,
        "join reply snapshot read, its history ignored");
  check(reader.parse(R"({"type":"reply","rid":1,"ok":true,"you":{"id":"p1"},)"
                     R"("plenary":{"room":"plenary","seq":3,"epoch":9}})",
                     o) &&
            o.has_snapshot && o.snapshot_room == "plenary" && o.snapshot_seq == 3,
        "hello reply plenary snapshot read");
  check(reader.parse(R"({"type":"reply","rid":4,"ok":false,"error":{"code":"rate_limited",)"
                     R"("message":"slow down"}})",
                     o) &&
            !o.ok && o.error_code == "rate_limited",
        "error reply code read");
  check(!reader.parse("{\"type\":\"message\",", o) && !reader.parse("[1,2]", o) &&
            !reader.parse(R"({"room":"t1"})", o),
        "broken JSON, non-objects and objects without type refused");
  check(reader.parse(
            R"({"type":"presence","room":"t}1","seq":4,"joined":{"name":"a\"}{[","x":[{}]}})", o) &&
            o.type == "presence" && o.room == "t}1" && o.seq == 4,
        "brackets and quotes inside strings do not end a value");
  check(!reader.parse(R"({"type":"message","seq":1,"from":{"id":"p1"})", o) &&
            !reader.parse(R"({"type":"message" "seq":1})", o) &&
            !reader.parse(R"({"type":"message","seq":1}})", o),
        "unbalanced objects and missing separators refused");

  std::string json;
  append_json_string(json, "a\"b\\c\n");
  check(json == R"("a\"b\\c\u000a")", "JSON string escaping");
  check(make_say(3, "t1", "hi") == R"({"op":"say","rid":3,"room":"t1","text":"hi"})",
        "say request shape");
}

void socketio_checks(checker& check) {
  std::string_view json;
  check(socketio::classify(R"(0{"sid":"x","pingInterval":25000})", json) == socketio::packet::open,
        "engine.io open");
  check(socketio::classify("2", json) == socketio::packet::ping, "engine.io ping");
  check(socketio::classify(R"(40{"sid":"y"})", json) == socketio::packet::connected,
        "socket.io connect");
  check(socketio::classify(R"(42["message",{"type":"message","seq":1}])", json) ==
                socketio::packet::event &&
            json == R"({"type":"message","seq":1})",
        "socket.io event argument extracted");
  check(socketio::classify("44{\"message\":\"no\"}", json) == socketio::packet::error,
        "socket.io connect error");
  check(socketio::wrap(R"({"op":"ping"})") == R"(42["op",{"op":"ping"}])", "socket.io wrap");
}

}  // namespace

int run_selftest() {
  checker check;
  histogram_checks(check);
  stamp_checks(check);
  reader_checks(check);
  socketio_checks(check);
  std::printf("%d passed, %d failed\n", check.passed, check.failed);
  return check.failed == 0 ? 0 : 1;
}

}  // namespace loadtest
