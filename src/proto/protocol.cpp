// The control protocol's wire format. See include/bbox/proto/protocol.h for
// the frame layout. Payload encodings (all integers little endian):
//   string       u32 length, then the bytes
//   Hello        u32 version, string kernel_release
//   Winsize      u16 rows, u16 cols
//   ExecRequest  u32 argc, argc strings, u32 envc, envc strings, string cwd,
//                u32 uid, u32 gid, u8 tty, Winsize
//   ExitStatus   u8 signaled, i32 code, string message
//   FileChunk    string path, u32 mode, string data
//   FileError    string path, string error
// A decoder accepts a payload only if it is consumed exactly: a short field,
// a length past the end, or trailing bytes all make it malformed. The host
// decodes what the guest sends, so every read here is bounds-checked and no
// length is trusted before it has been compared with the bytes left.
//
// Built into the static guest init too: no exceptions are thrown here, and
// allocations are bounded by the payload size (at most kMaxPayload).
#include "bbox/proto/protocol.h"

#include <cstring>

namespace bbox::proto {
namespace {

void put_u8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

void put_u16(std::string* out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v));
  put_u8(out, static_cast<uint8_t>(v >> 8));
}

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) put_u8(out, static_cast<uint8_t>(v >> (8 * i)));
}

void put_string(std::string* out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

// Reads fields from a payload front to back. Once a read fails the cursor is
// spent: every later read fails too, so a decoder can check ok() once at the
// end.
class Cursor {
 public:
  explicit Cursor(std::string_view p) : p_(p) {}

  bool u8(uint8_t* v) {
    if (!take(1)) return false;
    *v = static_cast<uint8_t>(p_[pos_ - 1]);
    return true;
  }

  bool u16(uint16_t* v) {
    if (!take(2)) return false;
    const auto* b = reinterpret_cast<const unsigned char*>(p_.data() + pos_ - 2);
    *v = static_cast<uint16_t>(b[0] | (b[1] << 8));
    return true;
  }

  bool u32(uint32_t* v) {
    if (!take(4)) return false;
    const auto* b = reinterpret_cast<const unsigned char*>(p_.data() + pos_ - 4);
    *v = static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
    return true;
  }

  bool string(std::string* s) {
    uint32_t n = 0;
    if (!u32(&n)) return false;
    // The length is compared with what is left before anything is copied.
    if (!take(n)) return false;
    s->assign(p_.data() + pos_ - n, n);
    return true;
  }

  // Reads a u32 count of strings followed by the strings. The count is
  // checked against the bytes left (each string needs at least 4) so a hostile
  // count cannot make us reserve memory.
  bool strings(std::vector<std::string>* v) {
    uint32_t n = 0;
    if (!u32(&n)) return false;
    if (n > left() / 4) return fail();
    v->clear();
    v->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      std::string s;
      if (!string(&s)) return false;
      v->push_back(std::move(s));
    }
    return true;
  }

  // True when every read succeeded and the payload was consumed exactly.
  bool done() const { return ok_ && pos_ == p_.size(); }

 private:
  size_t left() const { return p_.size() - pos_; }

  bool take(size_t n) {
    if (!ok_ || n > left()) return fail();
    pos_ += n;
    return true;
  }

  bool fail() {
    ok_ = false;
    return false;
  }

  std::string_view p_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string encode_frame(Type type, uint32_t channel, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  put_u32(&out, static_cast<uint32_t>(payload.size()));
  put_u8(&out, static_cast<uint8_t>(type));
  put_u32(&out, channel);
  out.append(payload.data(), payload.size());
  return out;
}

void FrameReader::feed(const char* data, size_t n) {
  if (failed_) return;
  // Drop consumed bytes before growing, so the buffer stays about one frame.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data, n);
}

std::optional<Frame> FrameReader::next() {
  if (failed_) return std::nullopt;
  std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  if (avail.size() < kHeaderSize) return std::nullopt;

  Cursor header(avail.substr(0, kHeaderSize));
  uint32_t len = 0;
  uint8_t type = 0;
  uint32_t channel = 0;
  header.u32(&len);
  header.u8(&type);
  header.u32(&channel);
  if (len > kMaxPayload) {
    failed_ = true;
    buf_.clear();
    pos_ = 0;
    return std::nullopt;
  }
  if (avail.size() - kHeaderSize < len) return std::nullopt;

  Frame f;
  f.type = static_cast<Type>(type);  // unknown types pass through; readers ignore them
  f.channel = channel;
  f.payload.assign(avail.data() + kHeaderSize, len);
  pos_ += kHeaderSize + len;
  return f;
}

std::string encode(const Hello& m) {
  std::string out;
  put_u32(&out, m.version);
  put_string(&out, m.kernel_release);
  return out;
}

bool decode(std::string_view p, Hello* m) {
  Cursor c(p);
  c.u32(&m->version);
  c.string(&m->kernel_release);
  return c.done();
}

std::string encode(const Winsize& m) {
  std::string out;
  put_u16(&out, m.rows);
  put_u16(&out, m.cols);
  return out;
}

bool decode(std::string_view p, Winsize* m) {
  Cursor c(p);
  c.u16(&m->rows);
  c.u16(&m->cols);
  return c.done();
}

std::string encode(const ExecRequest& m) {
  std::string out;
  put_u32(&out, static_cast<uint32_t>(m.argv.size()));
  for (const auto& a : m.argv) put_string(&out, a);
  put_u32(&out, static_cast<uint32_t>(m.env.size()));
  for (const auto& e : m.env) put_string(&out, e);
  put_string(&out, m.cwd);
  put_u32(&out, m.uid);
  put_u32(&out, m.gid);
  put_u8(&out, m.tty ? 1 : 0);
  put_u16(&out, m.winsize.rows);
  put_u16(&out, m.winsize.cols);
  return out;
}

bool decode(std::string_view p, ExecRequest* m) {
  Cursor c(p);
  uint8_t tty = 0;
  c.strings(&m->argv);
  c.strings(&m->env);
  c.string(&m->cwd);
  c.u32(&m->uid);
  c.u32(&m->gid);
  c.u8(&tty);
  c.u16(&m->winsize.rows);
  c.u16(&m->winsize.cols);
  if (tty > 1) return false;
  m->tty = tty == 1;
  return c.done();
}

std::string encode(const ExitStatus& m) {
  std::string out;
  put_u8(&out, m.signaled ? 1 : 0);
  put_u32(&out, static_cast<uint32_t>(m.code));
  put_string(&out, m.message);
  return out;
}

bool decode(std::string_view p, ExitStatus* m) {
  Cursor c(p);
  uint8_t signaled = 0;
  uint32_t code = 0;
  c.u8(&signaled);
  c.u32(&code);
  c.string(&m->message);
  if (signaled > 1) return false;
  m->signaled = signaled == 1;
  std::memcpy(&m->code, &code, sizeof code);
  return c.done();
}

std::string encode(const FileChunk& m) {
  std::string out;
  put_string(&out, m.path);
  put_u32(&out, m.mode);
  put_string(&out, m.data);
  return out;
}

bool decode(std::string_view p, FileChunk* m) {
  Cursor c(p);
  c.string(&m->path);
  c.u32(&m->mode);
  c.string(&m->data);
  return c.done();
}

std::string encode(const FileError& m) {
  std::string out;
  put_string(&out, m.path);
  put_string(&out, m.error);
  return out;
}

bool decode(std::string_view p, FileError* m) {
  Cursor c(p);
  c.string(&m->path);
  c.string(&m->error);
  return c.done();
}

std::string encode_u32(uint32_t v) {
  std::string out;
  put_u32(&out, v);
  return out;
}

bool decode_u32(std::string_view p, uint32_t* v) {
  Cursor c(p);
  c.u32(v);
  return c.done();
}

}  // namespace bbox::proto
