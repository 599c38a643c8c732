#include "sandbox/swe/repo_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace rl::swe {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Runs argv (no shell) with stdin /dev/null and stdout+stderr into `log`; returns the exit
// code, 127 when the program cannot be executed.
int RunLogged(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.emplace_back("GIT_CONFIG_NOSYSTEM=1");
  env_store.emplace_back("GIT_TERMINAL_PROMPT=0");
  std::vector<char*> env, args;
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) return 127;
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvpe(args[0], args.data(), env.data());
    _exit(127);
  }
  ::close(out);
  if (pid < 0) return 127;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadTail(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() <= n ? s : s.substr(s.size() - n);
}

absl::StatusOr<fs::path> CacheRoot() {
  const char* env = std::getenv("RL_SWE_CACHE");
  fs::path root = env && *env
                      ? fs::path(env)
                      : fs::temp_directory_path() / ("rl_swe_cache_" + std::to_string(::getuid()));
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
    return absl::FailedPreconditionError(absl::StrCat(root.string(), ": cannot create the cache"));
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
      (st.st_mode & 022) != 0)
    return absl::FailedPreconditionError(
        absl::StrCat(root.string(),
                     ": SWE repository cache must be a directory owned by this user and "
                     "writable by it alone"));
  return root;
}

}  // namespace

absl::StatusOr<std::string> MaterializeRepo(const std::string& repo,
                                            const std::string& base_commit) {
  std::error_code ec;
  if (fs::is_directory(repo, ec)) {
    if (!base_commit.empty())
      return absl::InvalidArgumentError(
          "base_commit must be \"\" for a directory repo (use a .bundle to check out a commit)");
    return fs::canonical(repo, ec).string();
  }
  const bool is_tar = EndsWith(repo, ".tar") || EndsWith(repo, ".tar.gz") || EndsWith(repo, ".tgz");
  const bool is_bundle = EndsWith(repo, ".bundle");
  if (!fs::is_regular_file(repo, ec) || (!is_tar && !is_bundle))
    return absl::InvalidArgumentError(
        absl::StrCat("not a directory, .tar/.tar.gz/.tgz tarball or .bundle: ", repo));
  if (is_tar && !base_commit.empty())
    return absl::InvalidArgumentError("base_commit must be \"\" for a tarball repo");
  if (is_bundle && base_commit.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("base_commit: not a hexadecimal commit id: ", base_commit));
  std::string abs = fs::canonical(repo, ec).string();
  struct stat st {};
  if (::stat(abs.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat(abs, ": cannot stat"));
  auto root = CacheRoot();
  if (!root.ok()) return root.status();
  const std::string key = absl::StrCat(abs, "\n", st.st_size, "\n", st.st_mtim.tv_sec, ".",
                                       st.st_mtim.tv_nsec, "\n", base_commit);
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a(key)));
  const fs::path final_dir = *root / (fs::path(abs).filename().string() + "-" + hex);
  if (fs::is_directory(final_dir, ec)) return final_dir.string();

  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const fs::path tmp = *root / absl::StrCat(".tmp-", ::getpid(), "-", rng());
  fs::create_directories(tmp, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat(tmp.string(), ": ", ec.message()));
  const std::string log = (tmp / "log").string();
  fs::path tree = tmp / "tree";
  auto fail = [&](const std::string& what) {
    std::string tail = ReadTail(log, 1500);
    fs::remove_all(tmp, ec);
    return absl::FailedPreconditionError(absl::StrCat(abs, ": ", what, ": ", tail));
  };
  if (is_tar) {
    fs::create_directories(tree, ec);
    int rc = RunLogged(
        {"tar", "-xf", abs, "-C", tree.string(), "--no-same-owner", "--no-same-permissions"}, log);
    if (rc == 127) return fail("tar is not installed");
    if (rc != 0) return fail(absl::StrCat("tar exited ", rc));
    // A single top-level directory is the root.
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(tree, ec)) entries.push_back(e.path());
    if (entries.size() == 1 && fs::is_directory(fs::symlink_status(entries[0], ec)))
      tree = entries[0];
  } else {
    std::vector<std::string> clone = {"git", "clone", "--quiet"};
    if (!base_commit.empty()) clone.push_back("--no-checkout");
    clone.insert(clone.end(), {abs, tree.string()});
    int rc = RunLogged(clone, log);
    if (rc == 127) return fail("git is not installed (a .bundle repo needs git on PATH)");
    if (rc != 0) return fail(absl::StrCat("git clone exited ", rc));
    if (!base_commit.empty()) {
      rc = RunLogged({"git", "-C", tree.string(), "-c", "advice.detachedHead=false", "checkout",
                      "--quiet", base_commit},
                     log);
      if (rc != 0) return fail(absl::StrCat("git checkout ", base_commit, " exited ", rc));
    }
    fs::remove_all(tree / ".git", ec);
    if (ec) return fail("cannot remove .git: " + ec.message());
  }
  fs::rename(tree, final_dir, ec);
  if (ec && !fs::is_directory(final_dir)) {  // lost a race: another process installed it
    std::string msg = ec.message();
    fs::remove_all(tmp, ec);
    return absl::FailedPreconditionError(
        absl::StrCat(final_dir.string(), ": cannot install the unpacked tree: ", msg));
  }
  fs::remove_all(tmp, ec);
  return final_dir.string();
}

}  // namespace rl::swe
