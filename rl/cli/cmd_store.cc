// `rl runs`, `rl metrics`, `rl samples`: conveniences over the documented run-store tables.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "rl/cli/command.h"
#include "rl/cli/run_lookup.h"
#include "rl/store/run_store.h"

namespace rl::cli {
namespace fs = std::filesystem;
namespace {

std::string FormatTime(double t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatValue(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

}  // namespace

int RunRuns(const Args& args) {
  ArgParser p("rl runs",
              "List the runs in run directories (default: every directory under runs/).");
  p.Positional("DIR", "a run directory, or a folder of run directories", false);
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::string root = p.positional("DIR").empty() ? "runs" : p.positional("DIR");
  std::vector<std::string> stores;
  std::error_code ec;
  if (fs::is_regular_file(fs::path(root) / "run.sqlite", ec)) {
    stores.push_back((fs::path(root) / "run.sqlite").string());
  } else if (fs::is_directory(root, ec)) {
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (fs::is_regular_file(e.path() / "run.sqlite", ec)) {
        stores.push_back((e.path() / "run.sqlite").string());
      }
    }
  } else {
    return Fail(absl::NotFoundError(root + ": no such directory"));
  }
  std::sort(stores.begin(), stores.end());
  std::cout << std::left << std::setw(28) << "DIR" << std::setw(5) << "ID" << std::setw(20)
            << "NAME" << std::setw(12) << "STATUS" << std::setw(21) << "STARTED"
            << "LAST STEP\n";
  for (const auto& path : stores) {
    auto st = store::RunStore::OpenReadOnly(path);
    if (!st.ok()) {
      std::cerr << "rl: " << st.status().message() << "\n";
      continue;
    }
    auto runs = (*st)->ListRuns();
    if (!runs.ok()) {
      std::cerr << "rl: " << path << ": " << runs.status().message() << "\n";
      continue;
    }
    for (const auto& r : *runs) {
      auto metrics = (*st)->Metrics(r.id, "*");
      int64_t last = -1;
      if (metrics.ok()) {
        for (const auto& m : *metrics) last = std::max(last, m.step);
      }
      std::cout << std::setw(28) << fs::path(path).parent_path().string() << std::setw(5) << r.id
                << std::setw(20) << r.name << std::setw(12) << r.status << std::setw(21)
                << FormatTime(r.started_at) << (last >= 0 ? std::to_string(last) : "-") << "\n";
    }
  }
  return 0;
}

int RunMetrics(const Args& args) {
  ArgParser p("rl metrics", "Print a run's metrics: one row per step, one column per metric.");
  p.Positional("RUN", "run directory, run.sqlite file, or run name under runs/");
  p.Option("name", "GLOB", "metric names to show, e.g. 'train/*'", "*");
  p.Option("format", "FMT", "table, csv or json", "table");
  p.Option("run-id", "ID", "run id inside the store (default: the latest)");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::string format = p.Get("format");
  if (format != "table" && format != "csv" && format != "json") {
    std::cerr << "rl metrics: --format must be table, csv or json, got '" << format << "'\n";
    return 2;
  }
  auto opened = OpenRun(p.positional("RUN"), p.Get("run-id"));
  if (!opened.ok()) return Fail(opened.status());
  auto& [st, run] = *opened;
  auto rows = st->Metrics(run.id, p.Get("name"));
  if (!rows.ok()) return Fail(rows.status());
  if (format == "json") {
    for (const auto& m : *rows) {
      nlohmann::json j = {
          {"step", m.step}, {"name", m.name}, {"value", m.value}, {"wall_time", m.wall_time}};
      std::cout << j.dump() << "\n";
    }
    return 0;
  }
  std::set<std::string> names;
  std::map<int64_t, std::map<std::string, double>> by_step;
  for (const auto& m : *rows) {
    names.insert(m.name);
    by_step[m.step][m.name] = m.value;
  }
  const char* sep = format == "csv" ? "," : "  ";
  std::cout << "step";
  for (const auto& n : names) std::cout << sep << n;
  std::cout << "\n";
  for (const auto& [step, values] : by_step) {
    std::cout << step;
    for (const auto& n : names) {
      auto it = values.find(n);
      std::cout << sep << (it == values.end() ? "" : FormatValue(it->second));
    }
    std::cout << "\n";
  }
  return 0;
}

int RunSamples(const Args& args) {
  ArgParser p("rl samples", "Print a run's stored samples as JSON lines.");
  p.Positional("RUN", "run directory, run.sqlite file, or run name under runs/");
  p.Option("step", "N", "only samples of step N");
  p.Option("limit", "K", "at most K samples", "20");
  p.Option("run-id", "ID", "run id inside the store (default: the latest)");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::optional<int64_t> step;
  if (p.Has("step")) {
    auto s = p.GetInt("step");
    if (!s.ok()) return Fail(s.status());
    step = *s;
  }
  auto limit = p.GetInt("limit");
  if (!limit.ok()) return Fail(limit.status());
  auto opened = OpenRun(p.positional("RUN"), p.Get("run-id"));
  if (!opened.ok()) return Fail(opened.status());
  auto& [st, run] = *opened;
  auto rows = st->Samples(run.id, step, *limit);
  if (!rows.ok()) return Fail(rows.status());
  for (const auto& s : *rows) {
    nlohmann::json j = {{"id", s.id},
                        {"step", s.step},
                        {"group", s.group_idx},
                        {"prompt_id", s.prompt_id},
                        {"response", s.response},
                        {"token_count", s.token_count},
                        {"reward", s.reward},
                        {"finish_reason", s.finish_reason},
                        {"policy_version", s.policy_version}};
    if (s.correct) j["correct"] = *s.correct;
    j["verifier_details"] = nlohmann::json::parse(s.verifier_details, nullptr, false);
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}

}  // namespace rl::cli
