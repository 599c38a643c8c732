// External-process plugins speaking JSON lines on stdin/stdout.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "rewards/plugins/plugins.h"

namespace rl::rewards {
namespace {

// One child process with its two pipe ends. Not thread-safe; a slot is used by one call.
class Child {
 public:
  Child() = default;
  ~Child() { Kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool alive() const { return pid_ > 0; }

  Status Start(const std::vector<std::string>& argv) {
    Kill();
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0)
      return absl::UnavailableError(std::string("pipe: ") + strerror(errno));
    if (pipe2(out, O_CLOEXEC) != 0) {
      close(in[0]);
      close(in[1]);
      return absl::UnavailableError(std::string("pipe: ") + strerror(errno));
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) return absl::UnavailableError(std::string("fork: ") + strerror(errno));
    if (pid == 0) {
      // Child: only stdin/stdout/stderr survive exec (the pipes are O_CLOEXEC; dup2 clears it).
      dup2(in[0], 0);
      dup2(out[1], 1);
      syscall(SYS_close_range, 3u, ~0u, 0u);  // nothing of the host process beyond 0/1/2
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    pid_ = pid;
    to_child_ = in[1];
    from_child_ = out[0];
    buffer_.clear();
    return absl::OkStatus();
  }

  void Kill() {
    if (to_child_ >= 0) close(to_child_);
    if (from_child_ >= 0) close(from_child_);
    to_child_ = from_child_ = -1;
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  // True when the child has exited (reaped here).
  bool Exited() {
    if (pid_ <= 0) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Kill();
      return true;
    }
    return false;
  }

  Status WriteLine(const std::string& line) {
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = write(to_child_, line.data() + off, line.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(std::string("write to plugin: ") + strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  StatusOr<std::string> ReadLine(Clock::time_point deadline, size_t max_bytes) {
    while (true) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (buffer_.size() > max_bytes) return absl::DataLossError("plugin response line too long");
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return absl::DeadlineExceededError("plugin did not answer in time");
      pollfd p{from_child_, POLLIN, 0};
      int r = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000 * 3600)));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      char buf[65536];
      ssize_t n = read(from_child_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError("plugin process exited");
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  std::string buffer_;
};

class ProcessVerifier : public Verifier {
 public:
  explicit ProcessVerifier(ProcessOptions o) : options_(std::move(o)), slots_(options_.instances) {
    for (int i = 0; i < options_.instances; ++i) free_.push_back(i);
  }
  std::string name() const override { return options_.name; }

  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    int slot = Acquire();
    auto result = Call(slots_[slot], in);
    Release(slot);
    return result;
  }

 private:
  int Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    int s = free_.back();
    free_.pop_back();
    return s;
  }
  void Release(int s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(s);
    }
    cv_.notify_one();
  }

  StatusOr<VerifyResult> Call(Child& child, const VerifyInput& in) {
    nlohmann::json req;
    req["id"] = ++next_id_;
    req["task"] = {{"id", in.task->id},
                   {"kind", in.task->kind},
                   {"prompt", in.task->prompt},
                   {"answer", in.task->answer}};
    try {
      req["task"]["metadata"] =
          nlohmann::json::parse(in.task->metadata.empty() ? "{}" : in.task->metadata);
    } catch (const nlohmann::json::exception&) {
      req["task"]["metadata"] = nlohmann::json::object();
    }
    req["response"] = std::string(in.response);
    req["response_tokens"] = in.response_tokens;
    req["budget_tokens"] = in.budget_tokens;
    std::string line = req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    // A child that died since the last call is restarted and the call proceeds.
    if (!child.alive() || child.Exited()) RL_RETURN_IF_ERROR(child.Start(options_.argv));
    Status w = child.WriteLine(line);
    if (!w.ok()) {
      child.Kill();
      return w;
    }
    auto reply = child.ReadLine(in.deadline, options_.max_line_bytes);
    if (!reply.ok()) {
      child.Kill();  // timeout, crash or garbage: the next call starts a fresh child
      return absl::Status(reply.status().code(), "plugin '" + options_.name +
                                                     "': " + std::string(reply.status().message()));
    }
    return ParseReply(*reply, req["id"].get<int64_t>());
  }

  StatusOr<VerifyResult> ParseReply(const std::string& line, int64_t id) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      return absl::DataLossError("plugin '" + options_.name + "': reply is not JSON: " + e.what());
    }
    if (!j.is_object())
      return absl::DataLossError("plugin '" + options_.name + "': reply is not an object");
    if (j.contains("id") && j["id"] != id)
      return absl::DataLossError("plugin '" + options_.name + "': reply id mismatch");
    if (j.contains("error"))
      return absl::InternalError("plugin '" + options_.name + "': " + j["error"].dump());
    VerifyResult r;
    if (!j.contains("reward") || !j["reward"].is_number()) {
      return absl::DataLossError("plugin '" + options_.name + "': reply lacks a numeric 'reward'");
    }
    r.reward = j["reward"].get<float>();
    if (j.contains("correct") && j["correct"].is_boolean()) r.correct = j["correct"].get<bool>();
    if (j.contains("details") && j["details"].is_object()) r.details = j["details"];
    return r;
  }

  ProcessOptions options_;
  std::vector<Child> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> free_;
  std::atomic<int64_t> next_id_{0};
};

}  // namespace

StatusOr<std::shared_ptr<Verifier>> MakeProcessVerifier(ProcessOptions options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("process plugin: empty command");
  if (options.name.empty()) return absl::InvalidArgumentError("process plugin: empty name");
  if (options.instances < 1) options.instances = 1;
  signal(SIGPIPE, SIG_IGN);
  return std::shared_ptr<Verifier>(std::make_shared<ProcessVerifier>(std::move(options)));
}

}  // namespace rl::rewards
