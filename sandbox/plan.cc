// Builds the sandbox's mount plan and job description (see plan.h).
#include "sandbox/plan.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rl::sandbox::internal {
namespace {

namespace fs = std::filesystem;

constexpr char kStage[] = "/tmp";  // where the new root is assembled before pivot_root
constexpr char kPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr unsigned long kTmpfsFlags = MS_NOSUID | MS_NODEV;
constexpr int kInodes = 16384;  // per tmpfs: "create a million files" ends here

// Mode for a file of spec.files: scripts and ELF binaries are executable.
unsigned FileMode(const std::string& content) {
  if (content.rfind("#!", 0) == 0 || content.rfind("\x7f"
                                                   "ELF",
                                                   0) == 0)
    return 0755;
  return 0644;
}

bool ReadHostFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

class PlanBuilder {
 public:
  PlanBuilder(PlanStorage* s, int job_id) : s_(s), job_id_(job_id) {}

  void Op(FsOp op) { s_->ops.push_back(op); }
  const char* Keep(std::string text) { return s_->Keep(std::move(text)); }
  const char* At(const std::string& rel) { return s_->Keep(absl::StrCat(kStage, rel)); }

  void Mkdir(const char* dst, unsigned mode, bool job_owned = false) {
    FsOp op{OpKind::kMkdir};
    op.dst = dst;
    op.mode = mode;
    if (job_owned) op.owner_uid = op.owner_gid = job_id_;
    Op(op);
  }
  void Tmpfs(const char* dst, int64_t size_bytes, const char* mode, bool job_owned) {
    FsOp op{OpKind::kMount};
    op.src = "tmpfs";
    op.dst = dst;
    op.fstype = "tmpfs";
    op.flags = kTmpfsFlags;
    std::string data = absl::StrCat("size=", size_bytes, ",nr_inodes=", kInodes, ",mode=", mode);
    if (job_owned) absl::StrAppend(&data, ",uid=", job_id_, ",gid=", job_id_);
    op.data = s_->Keep(std::move(data));
    Op(op);
  }
  void Bind(const char* src, const char* dst, bool read_only, bool optional = false) {
    FsOp op{OpKind::kMount};
    op.src = src;
    op.dst = dst;
    op.flags = MS_BIND | MS_REC;
    op.optional = optional;
    Op(op);
    if (read_only) {
      FsOp ro{OpKind::kReadOnly};
      ro.dst = dst;
      ro.flags = AT_RECURSIVE;
      ro.optional = optional;
      Op(ro);
    }
  }
  void Write(const char* dst, const std::string& data, unsigned mode, bool job_owned = false) {
    FsOp op{OpKind::kWriteFile};
    op.dst = dst;
    const char* kept = s_->Keep(data);
    op.data = kept;
    op.size = data.size();
    op.mode = mode;
    if (job_owned) op.owner_uid = op.owner_gid = job_id_;
    Op(op);
  }
  void Symlink(const std::string& target, const char* dst) {
    FsOp op{OpKind::kSymlink};
    op.src = s_->Keep(target);
    op.dst = dst;
    Op(op);
  }

 private:
  PlanStorage* s_;
  int job_id_;
};

// /usr and the top-level links or directories that point into it, as the host has them.
void AddSystemDirs(PlanBuilder& b) {
  for (const char* name : {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    std::string host = absl::StrCat("/", name);
    std::error_code ec;
    fs::file_status st = fs::symlink_status(host, ec);
    if (ec || !fs::exists(st)) continue;
    const char* dst = b.At(host);
    if (fs::is_symlink(st)) {
      b.Symlink(fs::read_symlink(host, ec).string(), dst);
    } else if (fs::is_directory(st)) {
      b.Mkdir(dst, 0755);
      b.Bind(b.Keep(host), dst, /*read_only=*/true);
    }
  }
}

void AddEtc(PlanBuilder& b, const Identity& id) {
  b.Mkdir(b.At("/etc"), 0755);
  b.Write(b.At("/etc/passwd"),
          absl::StrCat("root:x:0:0:root:/:/usr/sbin/nologin\n",
                       id.host_root ? "sandbox:x:1000:1000:sandbox:/work:/bin/sh\n" : "",
                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
          0644);
  b.Write(
      b.At("/etc/group"),
      absl::StrCat("root:x:0:\n", id.host_root ? "sandbox:x:1000:\n" : "", "nogroup:x:65534:\n"),
      0644);
  b.Write(b.At("/etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n", 0644);
  b.Write(b.At("/etc/hostname"), "sandbox\n", 0644);
  for (const char* f : {"ld.so.cache", "ld.so.conf"}) {
    std::string content;
    if (ReadHostFile(absl::StrCat("/etc/", f), &content)) {
      b.Write(b.At(absl::StrCat("/etc/", f)), content, 0644);
    }
  }
  for (const char* d : {"ld.so.conf.d", "alternatives"}) {
    std::string host = absl::StrCat("/etc/", d);
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(host, ec))) continue;
    const char* dst = b.At(host);
    b.Mkdir(dst, 0755);
    b.Bind(b.Keep(host), dst, /*read_only=*/true);
  }
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status("/etc/localtime", ec))) {
    b.Symlink(fs::read_symlink("/etc/localtime", ec).string(), b.At("/etc/localtime"));
  }
}

}  // namespace

namespace {

void AddDev(PlanBuilder& b, int64_t disk_bytes) {
  b.Mkdir(b.At("/dev"), 0755);
  b.Tmpfs(b.At("/dev"), 1 << 16, "0755", /*job_owned=*/false);
  for (const char* d : {"null", "zero", "random", "urandom"}) {
    const char* dst = b.At(absl::StrCat("/dev/", d));
    b.Write(dst, "", 0666);
    b.Bind(b.Keep(absl::StrCat("/dev/", d)), dst, /*read_only=*/false);
  }
  b.Symlink("/proc/self/fd", b.At("/dev/fd"));
  b.Symlink("/proc/self/fd/0", b.At("/dev/stdin"));
  b.Symlink("/proc/self/fd/1", b.At("/dev/stdout"));
  b.Symlink("/proc/self/fd/2", b.At("/dev/stderr"));
  b.Mkdir(b.At("/dev/shm"), 01777);
  b.Tmpfs(b.At("/dev/shm"), disk_bytes, "1777", /*job_owned=*/false);
}

// Reads work_dir_source (host) into memory: directories, files with their modes, symlinks.
absl::Status AddWorkDirSource(PlanBuilder& b, const std::string& source, int64_t cap_bytes) {
  std::error_code ec;
  if (!fs::is_directory(source, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("work_dir_source: '", source, "' is not a directory"));
  }
  int64_t total = 0;
  fs::recursive_directory_iterator it(source, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    std::string rel = fs::relative(e.path(), source, ec).string();
    const char* dst = b.Keep(absl::StrCat("/work/", rel));
    fs::file_status st = e.symlink_status(ec);
    unsigned mode = static_cast<unsigned>(st.permissions()) & 07777;
    if (fs::is_symlink(st)) {
      b.Symlink(fs::read_symlink(e.path(), ec).string(), dst);
    } else if (fs::is_directory(st)) {
      b.Mkdir(dst, mode | 0700, /*job_owned=*/true);
    } else if (fs::is_regular_file(st)) {
      std::string content;
      if (!ReadHostFile(e.path().string(), &content)) {
        return absl::InvalidArgumentError(absl::StrCat("work_dir_source: cannot read ", rel));
      }
      total += static_cast<int64_t>(content.size());
      if (total > cap_bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("work_dir_source: '", source, "' is larger than limits.disk_mb"));
      }
      b.Write(dst, content, mode & 0777, /*job_owned=*/true);
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("work_dir_source: '", source, "': ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status CheckLimits(const Limits& l) {
  auto bad = [](const char* field) {
    return absl::InvalidArgumentError(absl::StrCat("limits.", field, " must be positive"));
  };
  if (!(l.cpu_s > 0)) return bad("cpu_s");
  if (!(l.wall_s > 0)) return bad("wall_s");
  if (l.memory_mb <= 0) return bad("memory_mb");
  if (l.procs <= 0) return bad("procs");
  if (l.file_size_mb <= 0) return bad("file_size_mb");
  if (l.open_files <= 0) return bad("open_files");
  if (l.output_kb <= 0) return bad("output_kb");
  if (l.disk_mb <= 0) return bad("disk_mb");
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> BaseEnvironment() {
  return {absl::StrCat("PATH=", kPath), "HOME=/work", "LANG=C.UTF-8", "TMPDIR=/tmp"};
}

absl::Status CheckRelativePath(const std::string& path, const char* field) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", path, "' must be a non-empty relative path"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(field, ": '", path, "' may not use '..'"));
    }
  }
  return absl::OkStatus();
}

absl::Status BuildPlan(const JobSpec& spec, const Identity& id, bool use_rlimit_as,
                       const sock_fprog* seccomp, PlanStorage* out) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("argv: the command is empty");
  }
  if (auto st = CheckLimits(spec.limits); !st.ok()) return st;
  for (const auto& [path, content] : spec.files) {
    if (auto st = CheckRelativePath(path, "files"); !st.ok()) return st;
  }
  for (const auto& path : spec.collect_files) {
    if (auto st = CheckRelativePath(path, "collect_files"); !st.ok()) return st;
  }
  for (const auto& [key, value] : spec.extra_env) {
    if (key.empty() || key.find_first_of("=\0", 0, 2) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("extra_env: bad variable '", key, "'"));
    }
  }
  const Limits& l = spec.limits;
  const int64_t disk_bytes = l.disk_mb << 20;
  PlanBuilder b(out, id.job_id);

  FsOp priv{OpKind::kMount};
  priv.dst = "/";
  priv.flags = MS_REC | MS_PRIVATE;  // nothing we mount may propagate to the host
  b.Op(priv);
  b.Tmpfs(kStage, 4 << 20, "0755", /*job_owned=*/false);
  AddSystemDirs(b);
  AddEtc(b, id);
  b.Mkdir(b.At("/work"), 0755);
  b.Tmpfs(b.At("/work"), disk_bytes, "0755", /*job_owned=*/true);
  b.Mkdir(b.At("/tmp"), 01777);
  b.Tmpfs(b.At("/tmp"), disk_bytes, "1777", /*job_owned=*/false);
  AddDev(b, disk_bytes);
  b.Mkdir(b.At("/proc"), 0555);
  FsOp proc{OpKind::kMount};
  proc.src = "proc";
  proc.dst = b.At("/proc");
  proc.fstype = "proc";
  proc.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  proc.data = "hidepid=2";  // the job sees its own processes only, never init
  b.Op(proc);
  FsOp pivot{OpKind::kPivotRoot};
  pivot.dst = kStage;
  b.Op(pivot);
  FsOp root_ro{OpKind::kReadOnly};
  root_ro.dst = "/";  // not recursive: /work, /tmp, /dev/shm stay writable
  b.Op(root_ro);

  // The job's files, written by init after pivot_root and handed to the job's uid.
  if (!spec.work_dir_source.empty()) {
    if (auto st = AddWorkDirSource(b, spec.work_dir_source, disk_bytes); !st.ok()) return st;
  }
  for (const auto& [path, content] : spec.files) {
    std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
    std::string dir = "/work";
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      dir += "/" + parts[i];
      b.Mkdir(b.Keep(dir), 0755, /*job_owned=*/true);
    }
    b.Write(b.Keep("/work/" + path), content, FileMode(content), /*job_owned=*/true);
  }

  for (const auto& a : spec.argv) out->argv.push_back(const_cast<char*>(out->Keep(a)));
  out->argv.push_back(nullptr);
  std::vector<std::string> env = BaseEnvironment();
  for (const auto& [key, value] : spec.extra_env) env.push_back(key + "=" + value);
  for (auto& e : env) out->envp.push_back(const_cast<char*>(out->Keep(std::move(e))));
  out->envp.push_back(nullptr);
  for (absl::string_view d : absl::StrSplit(kPath, ':')) {
    out->path_dirs.push_back(out->Keep(std::string(d)));
  }
  for (const auto& c : spec.collect_files) out->collect.push_back(out->Keep(c));

  auto lim = [&](int resource, int64_t value) {
    out->rlimits.push_back({resource, static_cast<rlim_t>(value)});
  };
  lim(RLIMIT_CPU, static_cast<int64_t>(std::ceil(l.cpu_s)));
  lim(RLIMIT_NPROC, l.procs);
  lim(RLIMIT_FSIZE, l.file_size_mb << 20);
  lim(RLIMIT_NOFILE, l.open_files);
  lim(RLIMIT_CORE, 0);
  lim(RLIMIT_MEMLOCK, 0);
  lim(RLIMIT_MSGQUEUE, 0);
  if (use_rlimit_as) lim(RLIMIT_AS, l.memory_mb << 20);

  ChildPlan& p = out->plan;
  p.drop_groups = id.host_root;
  p.job_uid = p.job_gid = id.job_id;
  p.ops = out->ops.data();
  p.n_ops = out->ops.size();
  p.hostname = "sandbox";
  p.work_dir = "/work";
  p.argv = out->argv.data();
  p.envp = out->envp.data();
  p.path_dirs = out->path_dirs.data();
  p.n_path_dirs = out->path_dirs.size();
  p.rlimits = out->rlimits.data();
  p.n_rlimits = out->rlimits.size();
  p.seccomp = seccomp;
  p.collect = out->collect.data();
  p.n_collect = out->collect.size();
  p.collect_cap = static_cast<size_t>(l.output_kb) << 10;
  return absl::OkStatus();
}

}  // namespace rl::sandbox::internal
