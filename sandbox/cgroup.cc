// cgroup v1/v2 job groups (see cgroup.h).
#include "sandbox/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rl::sandbox::internal {
namespace {

struct Support {
  int version = 0;                                                     // 0 none, 1, 2
  std::string memory_parent, pids_parent, cpu_parent, cpuacct_parent;  // our own groups
};

bool ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) return false;
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Can we create (and remove) a child group under dir?
bool CanCreateUnder(const std::string& dir) {
  std::string probe = absl::StrCat(dir, "/rl-sb-", getpid(), "-probe");
  if (mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) return false;
  rmdir(probe.c_str());
  return true;
}

// Removes job groups left by harnesses that died mid-job ("rl-sb-<pid>-<n>", pid gone).
void RemoveStaleGroups(const std::string& parent) {
  if (parent.empty()) return;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("rl-sb-", 0) != 0) continue;
    const pid_t owner = std::atoi(name.c_str() + 6);
    if (owner <= 0 || owner == getpid() || kill(owner, 0) == 0 || errno != ESRCH) continue;
    rmdir(e.path().c_str());  // fails harmlessly if something still lives in it
  }
}

Support Detect() {
  Support s;
  std::string self;
  if (!ReadText("/proc/self/cgroup", &self)) return s;
  std::string v1_memory, v1_pids, v1_cpu, v1_cpuacct, v2_path;
  for (absl::string_view line : absl::StrSplit(self, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    if (f[0] == "0" && f[1].empty()) v2_path = f[2];
    for (absl::string_view c : absl::StrSplit(f[1], ',')) {
      if (c == "memory") v1_memory = f[2];
      if (c == "pids") v1_pids = f[2];
      if (c == "cpu") v1_cpu = f[2];
      if (c == "cpuacct") v1_cpuacct = f[2];
    }
  }
  const std::string root = "/sys/fs/cgroup";
  std::string controllers;
  if (ReadText(root + "/cgroup.controllers", &controllers) && !v2_path.empty()) {
    std::string dir = root + (v2_path == "/" ? "" : v2_path);
    std::string subtree;
    ReadText(dir + "/cgroup.subtree_control", &subtree);
    bool has =
        subtree.find("memory") != std::string::npos && subtree.find("pids") != std::string::npos;
    if (!has) has = WriteText(dir + "/cgroup.subtree_control", "+memory +pids");
    if (has && CanCreateUnder(dir)) {
      WriteText(dir + "/cgroup.subtree_control", "+cpu");  // optional
      s.version = 2;
      s.memory_parent = s.pids_parent = s.cpu_parent = dir;
      return s;
    }
  }
  if (!v1_memory.empty() && !v1_pids.empty()) {
    std::string mem = root + "/memory" + (v1_memory == "/" ? "" : v1_memory);
    std::string pids = root + "/pids" + (v1_pids == "/" ? "" : v1_pids);
    if (IsDir(mem) && IsDir(pids) && CanCreateUnder(mem) && CanCreateUnder(pids)) {
      s.version = 1;
      s.memory_parent = mem;
      s.pids_parent = pids;
      std::string cpu = root + "/cpu" + (v1_cpu == "/" ? "" : v1_cpu);
      if (!v1_cpu.empty() && IsDir(cpu) && CanCreateUnder(cpu)) s.cpu_parent = cpu;
      std::string acct = root + "/cpuacct" + (v1_cpuacct == "/" ? "" : v1_cpuacct);
      if (!v1_cpuacct.empty() && IsDir(acct) && CanCreateUnder(acct)) s.cpuacct_parent = acct;
    }
  }
  return s;
}

const Support& GetSupport() {
  static const Support support = [] {
    Support s = Detect();
    for (const std::string* dir :
         {&s.memory_parent, &s.pids_parent, &s.cpu_parent, &s.cpuacct_parent}) {
      RemoveStaleGroups(*dir);
    }
    return s;
  }();
  return support;
}

int64_t ReadKey(const std::string& path, absl::string_view key) {
  std::string text;
  if (!ReadText(path, &text)) return 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() == 2 && f[0] == key) return std::atoll(f[1].c_str());
  }
  return 0;
}

void KillAndRemove(const std::string& dir) {
  if (dir.empty()) return;
  for (int attempt = 0; attempt < 200; ++attempt) {
    std::string procs;
    if (ReadText(dir + "/cgroup.procs", &procs)) {
      for (absl::string_view p : absl::StrSplit(procs, '\n', absl::SkipEmpty())) {
        kill(std::atoi(std::string(p).c_str()), SIGKILL);
      }
    }
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // exiting tasks linger briefly
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobCgroup>> JobCgroup::Create(int64_t memory_bytes, int64_t pids) {
  const Support& s = GetSupport();
  if (s.version == 0) return std::unique_ptr<JobCgroup>();
  static std::atomic<int64_t> counter{0};
  std::string name = absl::StrCat("/rl-sb-", getpid(), "-", counter.fetch_add(1));
  std::unique_ptr<JobCgroup> g(new JobCgroup());  // private constructor
  g->version_ = s.version;
  auto make = [&](const std::string& parent, std::string* dir) -> absl::Status {
    if (parent.empty()) return absl::OkStatus();
    *dir = parent + name;
    if (mkdir(dir->c_str(), 0755) != 0 && errno != EEXIST) {
      std::string path = *dir;
      dir->clear();
      return absl::UnavailableError(absl::StrCat("mkdir ", path, ": ", strerror(errno)));
    }
    return absl::OkStatus();
  };
  auto write = [](const std::string& path, const std::string& value) -> absl::Status {
    if (WriteText(path, value)) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("writing ", value, " to ", path));
  };
  const std::string mem = std::to_string(memory_bytes), npids = std::to_string(pids);
  if (s.version == 2) {
    if (auto st = make(s.memory_parent, &g->memory_dir_); !st.ok()) return st;
    g->pids_dir_ = g->cpu_dir_ = g->memory_dir_;
    if (auto st = write(g->memory_dir_ + "/memory.max", mem); !st.ok()) return st;
    WriteText(g->memory_dir_ + "/memory.swap.max", "0");
    if (auto st = write(g->pids_dir_ + "/pids.max", npids); !st.ok()) return st;
    WriteText(g->cpu_dir_ + "/cpu.max", "100000 100000");
    return g;
  }
  if (auto st = make(s.memory_parent, &g->memory_dir_); !st.ok()) return st;
  if (auto st = make(s.pids_parent, &g->pids_dir_); !st.ok()) return st;
  if (auto st = make(s.cpu_parent, &g->cpu_dir_); !st.ok()) return st;
  if (auto st = make(s.cpuacct_parent, &g->cpuacct_dir_); !st.ok()) return st;
  if (auto st = write(g->memory_dir_ + "/memory.limit_in_bytes", mem); !st.ok()) return st;
  if (access((g->memory_dir_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
    WriteText(g->memory_dir_ + "/memory.memsw.limit_in_bytes", mem);  // no swapping around it
  }
  if (auto st = write(g->pids_dir_ + "/pids.max", npids); !st.ok()) return st;
  if (!g->cpu_dir_.empty()) WriteText(g->cpu_dir_ + "/cpu.cfs_quota_us", "100000");
  return g;
}

JobCgroup::~JobCgroup() {
  KillAndRemove(memory_dir_);
  if (pids_dir_ != memory_dir_) KillAndRemove(pids_dir_);
  if (cpu_dir_ != memory_dir_) KillAndRemove(cpu_dir_);
  if (cpuacct_dir_ != cpu_dir_) KillAndRemove(cpuacct_dir_);
}

absl::Status JobCgroup::AddProcess(pid_t pid) {
  const std::string p = std::to_string(pid);
  std::vector<const std::string*> dirs = {&memory_dir_};
  if (version_ == 1) dirs = {&memory_dir_, &pids_dir_, &cpu_dir_, &cpuacct_dir_};  // v2: one
  for (const std::string* dir : dirs) {
    if (dir->empty()) continue;
    if (!WriteText(*dir + "/cgroup.procs", p)) {
      return absl::UnavailableError(absl::StrCat("adding pid ", p, " to ", *dir));
    }
  }
  return absl::OkStatus();
}

int64_t JobCgroup::OomKills() const {
  if (version_ == 2) return ReadKey(memory_dir_ + "/memory.events", "oom_kill");
  return ReadKey(memory_dir_ + "/memory.oom_control", "oom_kill");
}

int64_t JobCgroup::PeakMemoryBytes() const {
  std::string text;
  const char* file = version_ == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes";
  if (!ReadText(memory_dir_ + file, &text)) return 0;
  return std::atoll(text.c_str());
}

double JobCgroup::CpuSeconds() const {
  std::string text;
  if (version_ == 2) {
    if (!ReadText(memory_dir_ + "/cpu.stat", &text)) return -1;
    return static_cast<double>(ReadKey(memory_dir_ + "/cpu.stat", "usage_usec")) / 1e6;
  }
  if (cpuacct_dir_.empty() || !ReadText(cpuacct_dir_ + "/cpuacct.usage", &text)) return -1;
  return static_cast<double>(std::atoll(text.c_str())) / 1e9;
}

std::string CgroupSummary() {
  const Support& s = GetSupport();
  if (s.version == 0) return "none";
  return absl::StrCat("cgroup v", s.version, " memory+pids", s.cpu_parent.empty() ? "" : "+cpu",
                      s.version == 1 && !s.cpuacct_parent.empty() ? "+cpuacct" : "");
}

}  // namespace rl::sandbox::internal
