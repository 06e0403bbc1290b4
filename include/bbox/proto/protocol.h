// The control protocol between bbox on the host and bbox-init in the guest,
// carried over a virtio-serial port (guest: the /dev/vportNpM whose name is
// kControlPortName; host: a unix socket in the session directory, mode 0600).
//
// Every message is one frame:
//   u32 payload length (little endian), u8 type, u32 channel, payload bytes
// The header is kHeaderSize bytes. A frame whose payload exceeds
// kMaxPayload is a protocol error: the reader drops the connection.
// Channel 0 is the control channel. The other ids are split by who picks
// them, so the two sides never pick the same one:
//   1 .. kFirstGuestChannel-1   picked by the host: each exec, file fetch and
//                               file put gets its own (bbox: 1 for the
//                               session's command, a few more for its file
//                               transfers, 1000.. for attached commands)
//   kFirstGuestChannel ..       picked by the guest: one per stream it opens
//                               (kStreamOpen), counting up, never reused
//
// Files before the command (kFilePut): the host sends each file as one or
// more kFilePut frames on channel N (consecutive frames with the same path
// continue the file), then kFilePutEnd. The guest answers kFileError for
// each file it could not write and, after the batch, kFileEnd (empty).
//
// Streams (SSH agent forwarding): after kAgentListen the guest listens on
// its agent socket; each connection it accepts is announced by kStreamOpen on
// a fresh guest channel; then bytes flow as kStreamData both ways until
// either side sends kStreamClose (the sender has closed its end; the
// receiver delivers what it holds, closes, and does not answer).
//
// This file is shared by the host and the static guest init: no exceptions,
// no dependencies beyond the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bbox::proto {

inline constexpr uint32_t kVersion = 1;
inline constexpr const char* kControlPortName = "org.broodbox.control";
inline constexpr size_t kHeaderSize = 9;
inline constexpr uint32_t kMaxPayload = 1u << 20;

enum class Type : uint8_t {
  kHello = 1,         // g->h ch0: Hello (guest is ready)
  kExec = 2,          // h->g chN: ExecRequest
  kStdin = 3,         // h->g chN: bytes; empty payload = end of input
  kStdout = 4,        // g->h chN: bytes
  kStderr = 5,        // g->h chN: bytes
  kResize = 6,        // h->g chN: Winsize
  kSignal = 7,        // h->g chN: u32 signal number, sent to the process group
  kExit = 8,          // g->h chN: ExitStatus; the channel is finished
  kShutdown = 9,      // h->g ch0: sync and power off
  kLog = 10,          // g->h ch0 or chN: text for the console/session log
  kFileGet = 11,      // h->g chN: path of a file or directory to send back
  kFileData = 12,     // g->h chN: FileChunk
  kFileEnd = 13,      // g->h chN: string, empty on success, else the error
  kFilePut = 14,      // h->g chN: FileChunk, absolute path (see above)
  kFilePutEnd = 15,   // h->g chN: empty; the guest answers kFileEnd
  kFileError = 16,    // g->h chN: FileError, one file of the batch not written
  kAgentListen = 17,  // h->g ch0: empty; listen on the guest's agent socket
  kStreamOpen = 18,   // g->h chG: empty; a connection to the agent socket
  kStreamData = 19,   // both chG: bytes, never empty
  kStreamClose = 20,  // both chG: empty; the sender closed its end
};

// The first channel id the guest picks (for streams); below it, the host's.
inline constexpr uint32_t kFirstGuestChannel = 0x80000000u;

struct Frame {
  Type type{};
  uint32_t channel = 0;
  std::string payload;
};

struct Hello {
  uint32_t version = kVersion;
  std::string kernel_release;  // uname -r in the guest
};

struct Winsize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

struct ExecRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"; values may be secret: never log them
  std::string cwd = "/workspace";
  uint32_t uid = 1000;
  uint32_t gid = 1000;
  bool tty = false;
  Winsize winsize;
};

struct ExitStatus {
  bool signaled = false;  // true: code is the signal number
  int32_t code = 0;
  std::string message;  // why the command could not start, when it could not
};

struct FileChunk {
  std::string path;   // relative to the requested root
  uint32_t mode = 0;  // st_mode, including the file type bits
  std::string data;   // file contents chunk, or a symlink's target
};

struct FileError {
  std::string path;   // as the host sent it
  std::string error;  // "open: Too many levels of symbolic links"
};

// Frame encoding.
std::string encode_frame(Type type, uint32_t channel, std::string_view payload);

// Incremental decoder: feed bytes as they arrive, take whole frames out.
class FrameReader {
 public:
  void feed(const char* data, size_t n);
  // The next complete frame, or nullopt when more bytes are needed.
  // After a protocol error (oversized frame) returns nullopt forever and
  // failed() is true.
  std::optional<Frame> next();
  bool failed() const { return failed_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Payload codecs. decode_* return false on a malformed payload.
std::string encode(const Hello& m);
bool decode(std::string_view p, Hello* m);
std::string encode(const Winsize& m);
bool decode(std::string_view p, Winsize* m);
std::string encode(const ExecRequest& m);
bool decode(std::string_view p, ExecRequest* m);
std::string encode(const ExitStatus& m);
bool decode(std::string_view p, ExitStatus* m);
std::string encode(const FileChunk& m);
bool decode(std::string_view p, FileChunk* m);
std::string encode(const FileError& m);
bool decode(std::string_view p, FileError* m);
std::string encode_u32(uint32_t v);
bool decode_u32(std::string_view p, uint32_t* v);

}  // namespace bbox::proto
