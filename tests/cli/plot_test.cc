// `rl plot` against a store written by the test: the plotted points (--csv) are exactly the
// stored rows (x = step, or minutes since the run started, non-decreasing from ≥ 0), a '+'
// spec joins metrics into one series in time order, the SVG has one polyline per series with
// one point per row, and bad input is refused with the name of what is wrong.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "rl/store/run_store.h"

namespace {
namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out;
};

Result RunRl(const std::string& args) {
  std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string MakeRun(const std::string& name) {
  std::string dir = testing::TempDir() + "/plot_" + name + "_" + std::to_string(getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto st = rl::store::RunStore::Open(dir + "/run.sqlite");
  EXPECT_TRUE(st.ok());
  auto id = (*st)->CreateRun(name, "{}", dir);
  EXPECT_TRUE(id.ok());
  // Two phases logged in time order: a/acc at 1, 2 then b/acc at 0, 3 (b's step 0 comes after
  // a's step 2 in time, as the RL step-0 evaluation follows the cold start).
  (*st)->LogMetric(*id, 1, "a/acc", 0.25);
  EXPECT_TRUE((*st)->Flush().ok());
  (*st)->LogMetric(*id, 2, "a/acc", 0.5);
  EXPECT_TRUE((*st)->Flush().ok());
  (*st)->LogMetric(*id, 0, "b/acc", 0.75);
  EXPECT_TRUE((*st)->Flush().ok());
  (*st)->LogMetric(*id, 3, "b/acc", 1.0);
  EXPECT_TRUE((*st)->Flush().ok());
  return dir;
}

std::vector<std::vector<std::string>> Csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("rl plot:", 0) == 0 || line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

TEST(Plot, PointsAreTheStoredRowsAndTheSvgHasOnePolylinePerSeries) {
  const std::string dir = MakeRun("p1");
  const std::string svg = dir + "/p.svg";
  Result r = RunRl("plot --run " + dir +
                   "=mine --metric a/acc --metric b/acc --x step --csv --out " + svg);
  ASSERT_EQ(r.code, 0) << r.out;
  auto rows = Csv(r.out);
  ASSERT_EQ(rows.size(), 5u) << r.out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"label", "step", "value"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"mine a/acc", "1", "0.25"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"mine a/acc", "2", "0.5"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"mine b/acc", "0", "0.75"}));
  EXPECT_EQ(rows[4], (std::vector<std::string>{"mine b/acc", "3", "1"}));
  std::ifstream f(svg);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::regex poly("<polyline class=\"series\"[^>]*points=\"([^\"]*)\"");
  std::vector<size_t> counts;
  for (std::sregex_iterator it(text.begin(), text.end(), poly), end; it != end; ++it) {
    std::istringstream pts((*it)[1].str());
    std::string p;
    size_t n = 0;
    while (pts >> p) ++n;
    counts.push_back(n);
  }
  EXPECT_EQ(counts, (std::vector<size_t>{2, 2})) << text;
}

TEST(Plot, PlusJoinsMetricsInTimeOrderOnAMinutesAxis) {
  const std::string dir = MakeRun("p2");
  Result r = RunRl("plot --run " + dir + " --metric 'a/acc+b/acc' --csv");
  ASSERT_EQ(r.code, 0) << r.out;
  auto rows = Csv(r.out);
  ASSERT_EQ(rows.size(), 5u) << r.out;
  EXPECT_EQ(rows[0][1], "minutes");
  std::vector<std::string> values;
  double last = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], "p2");  // the run's name is the default label
    double x = std::stod(rows[i][1]);
    EXPECT_GE(x, last);
    EXPECT_LT(x, 10.0);
    last = x;
    values.push_back(rows[i][2]);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"0.25", "0.5", "0.75", "1"}));
}

TEST(Plot, BadInputIsRefusedByName) {
  const std::string dir = MakeRun("p3");
  Result none = RunRl("plot --run " + dir + " --metric no/such --csv");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.out.find("no rows of metric 'no/such'"), std::string::npos) << none.out;
  Result axis = RunRl("plot --run " + dir + " --metric a/acc --x hours");
  EXPECT_EQ(axis.code, 2);
  EXPECT_NE(axis.out.find("--x must be minutes or step"), std::string::npos) << axis.out;
  Result missing = RunRl("plot --run /nonexistent/run --metric a/acc");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("no run store"), std::string::npos) << missing.out;
}

}  // namespace
