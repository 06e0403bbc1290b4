#include "bbox/proto/protocol.h"

#include <gtest/gtest.h>

#include <random>

namespace bbox::proto {
namespace {

TEST(Frame, HeaderIsLengthTypeChannelLittleEndian) {
  std::string f = encode_frame(Type::kStdout, 0x01020304, "hi");
  ASSERT_EQ(f.size(), kHeaderSize + 2);
  EXPECT_EQ(f.substr(0, 4), std::string("\x02\x00\x00\x00", 4));
  EXPECT_EQ(f[4], static_cast<char>(Type::kStdout));
  EXPECT_EQ(f.substr(5, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(f.substr(9), "hi");
}

TEST(FrameReader, ReassemblesFramesFedOneByteAtATime) {
  std::string wire = encode_frame(Type::kHello, 0, "abc") + encode_frame(Type::kStdin, 7, "") +
                     encode_frame(Type::kStderr, 9, std::string(1000, 'x'));
  FrameReader r;
  std::vector<Frame> got;
  for (char c : wire) {
    r.feed(&c, 1);
    while (auto f = r.next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, Type::kHello);
  EXPECT_EQ(got[0].payload, "abc");
  EXPECT_EQ(got[1].type, Type::kStdin);
  EXPECT_EQ(got[1].channel, 7u);
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].channel, 9u);
  EXPECT_EQ(got[2].payload, std::string(1000, 'x'));
  EXPECT_FALSE(r.failed());
}

TEST(FrameReader, ReturnsNothingUntilTheWholePayloadArrived) {
  std::string wire = encode_frame(Type::kStdout, 1, "hello");
  FrameReader r;
  r.feed(wire.data(), wire.size() - 1);
  EXPECT_FALSE(r.next().has_value());
  r.feed(wire.data() + wire.size() - 1, 1);
  auto f = r.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->payload, "hello");
  EXPECT_FALSE(r.next().has_value());
}

TEST(FrameReader, FailsForeverOnOversizedFrame) {
  std::string header("\x01\x00\x10\x00", 4);  // 0x00100001 = kMaxPayload + 1
  header += std::string("\x04\x01\x00\x00\x00", 5);
  FrameReader r;
  r.feed(header.data(), header.size());
  EXPECT_FALSE(r.next().has_value());
  EXPECT_TRUE(r.failed());
  std::string good = encode_frame(Type::kStdout, 1, "x");
  r.feed(good.data(), good.size());
  EXPECT_FALSE(r.next().has_value());
  EXPECT_TRUE(r.failed());
}

TEST(FrameReader, AcceptsPayloadOfExactlyMaxSize) {
  std::string wire = encode_frame(Type::kStdout, 1, std::string(kMaxPayload, 'a'));
  FrameReader r;
  r.feed(wire.data(), wire.size());
  auto f = r.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->payload.size(), kMaxPayload);
  EXPECT_FALSE(r.failed());
}

TEST(Codec, ExecRequestRoundTrips) {
  ExecRequest in;
  in.argv = {"sh", "-c", std::string("a\0b", 3)};
  in.env = {"A=1", "TERM=xterm"};
  in.cwd = "/tmp";
  in.uid = 0;
  in.gid = 42;
  in.tty = true;
  in.winsize = {24, 80};
  ExecRequest out;
  ASSERT_TRUE(decode(encode(in), &out));
  EXPECT_EQ(out.argv, in.argv);
  EXPECT_EQ(out.env, in.env);
  EXPECT_EQ(out.cwd, "/tmp");
  EXPECT_EQ(out.uid, 0u);
  EXPECT_EQ(out.gid, 42u);
  EXPECT_TRUE(out.tty);
  EXPECT_EQ(out.winsize.rows, 24);
  EXPECT_EQ(out.winsize.cols, 80);
}

TEST(Codec, HelloWinsizeExitFileAndU32RoundTrip) {
  Hello h{kVersion, "6.1.0-28-cloud-amd64"}, h2;
  ASSERT_TRUE(decode(encode(h), &h2));
  EXPECT_EQ(h2.version, kVersion);
  EXPECT_EQ(h2.kernel_release, "6.1.0-28-cloud-amd64");

  Winsize w{50, 132}, w2;
  ASSERT_TRUE(decode(encode(w), &w2));
  EXPECT_EQ(w2.rows, 50);
  EXPECT_EQ(w2.cols, 132);

  ExitStatus e{true, 9, "killed"}, e2;
  ASSERT_TRUE(decode(encode(e), &e2));
  EXPECT_TRUE(e2.signaled);
  EXPECT_EQ(e2.code, 9);
  EXPECT_EQ(e2.message, "killed");
  ExitStatus neg{false, -1, ""}, neg2;
  ASSERT_TRUE(decode(encode(neg), &neg2));
  EXPECT_EQ(neg2.code, -1);

  FileChunk c{"a/b", 0100644, std::string("\0\1", 2)}, c2;
  ASSERT_TRUE(decode(encode(c), &c2));
  EXPECT_EQ(c2.path, "a/b");
  EXPECT_EQ(c2.mode, 0100644u);
  EXPECT_EQ(c2.data, std::string("\0\1", 2));

  uint32_t v = 0;
  ASSERT_TRUE(decode_u32(encode_u32(15), &v));
  EXPECT_EQ(v, 15u);
}

TEST(Codec, RejectsEveryTruncationAndTrailingBytes) {
  ExecRequest in;
  in.argv = {"ls", "-l"};
  in.env = {"X=y"};
  std::string p = encode(in);
  for (size_t n = 0; n < p.size(); ++n) {
    ExecRequest out;
    EXPECT_FALSE(decode(std::string_view(p).substr(0, n), &out)) << n;
  }
  ExecRequest out;
  EXPECT_FALSE(decode(p + "x", &out));
  EXPECT_FALSE(decode_u32("abc", &in.uid));
  EXPECT_FALSE(decode_u32("abcde", &in.uid));
}

TEST(Codec, RejectsStringLengthPastTheEnd) {
  std::string p("\x00\x00\x00\x00\xff\xff\xff\xff", 8);  // version 0, string of 4 GiB - 1
  Hello h;
  EXPECT_FALSE(decode(p, &h));
}

TEST(Codec, RejectsHugeArgvCountWithoutAllocating) {
  std::string p("\xff\xff\xff\x7f", 4);  // argc = 2^31 - 1, nothing behind it
  ExecRequest r;
  EXPECT_FALSE(decode(p, &r));
}

TEST(Codec, RejectsBooleanOtherThanZeroOrOne) {
  ExitStatus e;
  std::string p = encode(e);
  p[0] = 2;
  EXPECT_FALSE(decode(p, &e));
}

TEST(Codec, FileErrorRoundTripsAndRejectsEveryTruncation) {
  FileError in{"/home/sandbox/.gitconfig", "'sandbox' is a symlink"}, out;
  std::string p = encode(in);
  ASSERT_TRUE(decode(p, &out));
  EXPECT_EQ(out.path, "/home/sandbox/.gitconfig");
  EXPECT_EQ(out.error, "'sandbox' is a symlink");
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(decode(std::string_view(p).substr(0, n), &out)) << n;
  }
  EXPECT_FALSE(decode(p + '\0', &out));
}

TEST(Codec, FilePutCarriesAnAbsolutePathInAFileChunk) {
  FileChunk in{"/home/sandbox/.config/app.json", 0100600, "{}"}, out;
  std::string wire = encode_frame(Type::kFilePut, 2, encode(in));
  FrameReader r;
  r.feed(wire.data(), wire.size());
  auto f = r.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, Type::kFilePut);
  ASSERT_TRUE(decode(f->payload, &out));
  EXPECT_EQ(out.path, "/home/sandbox/.config/app.json");
  EXPECT_EQ(out.mode, 0100600u);
  EXPECT_EQ(out.data, "{}");
}

// The wire values are part of the protocol: host and guest builds must agree.
TEST(Protocol, NewMessageTypesKeepTheirWireValues) {
  EXPECT_EQ(static_cast<int>(Type::kFilePut), 14);
  EXPECT_EQ(static_cast<int>(Type::kFilePutEnd), 15);
  EXPECT_EQ(static_cast<int>(Type::kFileError), 16);
  EXPECT_EQ(static_cast<int>(Type::kAgentListen), 17);
  EXPECT_EQ(static_cast<int>(Type::kStreamOpen), 18);
  EXPECT_EQ(static_cast<int>(Type::kStreamData), 19);
  EXPECT_EQ(static_cast<int>(Type::kStreamClose), 20);
  EXPECT_EQ(kFirstGuestChannel, 0x80000000u);
}

// Random payloads must never crash a decoder, and whatever one accepts must
// be the canonical encoding of what it decoded (no slack bytes, no aliasing).
TEST(Codec, AcceptsRandomBytesOnlyAsCanonicalEncodings) {
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p(rng() % 24, '\0');
    for (auto& ch : p) ch = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    ExecRequest r;
    ExitStatus e;
    FileChunk c;
    Hello h;
    Winsize w;
    FileError fe;
    if (decode(p, &fe)) {
      EXPECT_EQ(encode(fe), p);
      ++accepted;
    }
    if (decode(p, &r)) {
      EXPECT_EQ(encode(r), p);
      ++accepted;
    }
    if (decode(p, &e)) {
      EXPECT_EQ(encode(e), p);
      ++accepted;
    }
    if (decode(p, &c)) {
      EXPECT_EQ(encode(c), p);
      ++accepted;
    }
    if (decode(p, &h)) {
      EXPECT_EQ(encode(h), p);
      ++accepted;
    }
    if (decode(p, &w)) {
      EXPECT_EQ(encode(w), p);
      ++accepted;
    }
    FrameReader fr;
    fr.feed(p.data(), p.size());
    while (auto f = fr.next()) EXPECT_LE(f->payload.size(), p.size());
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace bbox::proto
