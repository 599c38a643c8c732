// Logging to stderr with a level and a timestamp, and CHECK for programmer errors (never for
// user input: that gets a Status). Thread-safe: each line is written with one call.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace rl {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

// Lines below this level are dropped. Default kInfo; RL_LOG_LEVEL=debug|info|warning|error.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();  // writes the line; aborts for kFatal
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Swallows the stream when the level is filtered out.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace rl

#define RL_LOG(level)                                                              \
  (::rl::LogLevel::k##level < ::rl::MinLogLevel())                                 \
      ? (void)0                                                                    \
      : ::rl::LogVoidify() & ::rl::LogMessage(::rl::LogLevel::k##level, __FILE__, __LINE__).stream()

#define RL_CHECK(cond)                                                               \
  (cond) ? (void)0                                                                   \
         : ::rl::LogVoidify() & ::rl::LogMessage(::rl::LogLevel::kFatal, __FILE__, __LINE__) \
                                    .stream()                                        \
                                << "Check failed: " #cond " "
