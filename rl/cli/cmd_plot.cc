// `rl plot`: line charts of metrics from one or more runs' stores, as a self-contained SVG
// (and the plotted points as CSV on stdout with --csv). A series is one run × one metric
// spec; a spec joins several metric names into one series with '+' (e.g. the cold start's
// held-out accuracy followed by the RL loop's: cold_start/eval/accuracy+eval/accuracy).
// The x axis is minutes since the run started (runs.started_at) or the step.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "rl/cli/command.h"
#include "rl/cli/run_lookup.h"
#include "rl/core/strings.h"

namespace rl::cli {
namespace {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

// A "nice" tick step (1, 2 or 5 × 10^k) giving about n ticks over span.
double TickStep(double span, int n) {
  if (span <= 0) return 1;
  double raw = span / n, p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

// Plot area [kLeft, kLeft + kW] × [kTop, kTop + kH]; x maps linearly from [x0, x1], y from
// [y0, y1] (y up).
constexpr double kLeft = 70, kTop = 40, kW = 560, kH = 300;

std::string RenderSvg(const std::vector<Series>& series, const std::string& title,
                      const std::string& xlabel, const std::string& ylabel) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series) {
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (y0 >= 0 && y1 <= 1 && y1 - y0 > 0.2) y0 = 0, y1 = 1;  // a rate: the whole [0, 1]
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double xs = TickStep(x1 - x0, 8), ys = TickStep(y1 - y0, 5);
  x0 = std::floor(x0 / xs) * xs, x1 = std::ceil(x1 / xs) * xs;
  y0 = std::floor(y0 / ys) * ys, y1 = std::ceil(y1 / ys) * ys;
  auto X = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * kW; };
  auto Y = [&](double y) { return kTop + kH - (y - y0) / (y1 - y0) * kH; };
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kLeft + kW + 200 << "\" height=\""
    << kTop + kH + 60 << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << kLeft + kW / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
    << Escape(title) << "</text>\n";
  for (double t = x0; t <= x1 + xs / 2; t += xs) {
    o << "<line x1=\"" << Num(X(t)) << "\" y1=\"" << kTop << "\" x2=\"" << Num(X(t)) << "\" y2=\""
      << kTop + kH << "\" stroke=\"#e5e5e5\"/>"
      << "<text x=\"" << Num(X(t)) << "\" y=\"" << kTop + kH + 16 << "\" text-anchor=\"middle\">"
      << Num(t) << "</text>\n";
  }
  for (double t = y0; t <= y1 + ys / 2; t += ys) {
    o << "<line x1=\"" << kLeft << "\" y1=\"" << Num(Y(t)) << "\" x2=\"" << kLeft + kW << "\" y2=\""
      << Num(Y(t)) << "\" stroke=\"#e5e5e5\"/>"
      << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(Y(t) + 4) << "\" text-anchor=\"end\">"
      << Num(t) << "</text>\n";
  }
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kW << "\" height=\"" << kH
    << "\" fill=\"none\" stroke=\"black\"/>\n"
    << "<text x=\"" << kLeft + kW / 2 << "\" y=\"" << kTop + kH + 38 << "\" text-anchor=\"middle\">"
    << Escape(xlabel) << "</text>\n"
    << "<text transform=\"translate(18," << kTop + kH / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << Escape(ylabel) << "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % 8];
    o << "<polyline class=\"series\" fill=\"none\" stroke=\"" << color
      << "\" stroke-width=\"1.8\" points=\"";
    for (auto [x, y] : series[i].points) o << Num(X(x)) << "," << Num(Y(y)) << " ";
    o << "\"/>\n";
    const double ly = kTop + 10 + 18 * static_cast<double>(i);
    o << "<line x1=\"" << kLeft + kW + 12 << "\" y1=\"" << ly << "\" x2=\"" << kLeft + kW + 32
      << "\" y2=\"" << ly << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>"
      << "<text x=\"" << kLeft + kW + 38 << "\" y=\"" << ly + 4 << "\">" << Escape(series[i].label)
      << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace

int RunPlot(const Args& args) {
  ArgParser p("rl plot",
              "Draw metrics of one or more runs as an SVG line chart (x: minutes since the run "
              "started, or step).");
  p.RepeatedOption("run", "RUN[=LABEL]",
                   "run directory, run.sqlite or run name; repeat for several runs");
  p.RepeatedOption("metric", "NAME[+NAME…]",
                   "metric spec; '+' joins names into one series; repeat for several");
  p.Option("x", "AXIS", "minutes or step", "minutes");
  p.Option("out", "FILE", "SVG file to write (empty: none)", "");
  p.Option("title", "TEXT", "chart title", "");
  p.Option("ylabel", "TEXT", "y-axis label (default: the metric specs)", "");
  p.Flag("csv", "print the plotted points as CSV (label,x,y) on stdout");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  const std::string axis = p.Get("x");
  if (axis != "minutes" && axis != "step") {
    std::cerr << "rl plot: --x must be minutes or step, got '" << axis << "'\n";
    return 2;
  }
  const auto runs = p.GetAll("run");
  const auto metrics = p.GetAll("metric");
  if (runs.empty() || metrics.empty()) {
    std::cerr << "rl plot: give at least one --run and one --metric (rl plot --help)\n";
    return 2;
  }
  std::vector<Series> series;
  for (const auto& spec : runs) {
    std::string path = spec, label;
    if (size_t eq = spec.find('='); eq != std::string::npos) {
      path = spec.substr(0, eq);
      label = spec.substr(eq + 1);
    }
    auto opened = OpenRun(path, "");
    if (!opened.ok()) return Fail(opened.status());
    auto& [st, run] = *opened;
    if (label.empty()) label = run.name;
    for (const auto& m : metrics) {
      Series s;
      s.label = metrics.size() > 1 ? label + " " + m : label;
      std::vector<std::tuple<double, int64_t, double>> rows;  // (wall time, step, value)
      for (const auto& name : Split(m, '+')) {
        auto got = st->Metrics(run.id, name);
        if (!got.ok()) return Fail(got.status());
        for (const auto& r : *got) rows.emplace_back(r.wall_time, r.step, r.value);
      }
      if (rows.empty()) {
        std::cerr << "rl plot: " << path << ": no rows of metric '" << m << "'\n";
        return 1;
      }
      std::sort(rows.begin(), rows.end());
      for (const auto& [t, step, v] : rows) {
        double x = axis == "step" ? static_cast<double>(step) : (t - run.started_at) / 60.0;
        s.points.emplace_back(x, v);
      }
      if (axis == "step") std::stable_sort(s.points.begin(), s.points.end());
      series.push_back(std::move(s));
    }
  }
  if (p.GetFlag("csv")) {
    std::cout << "label," << axis << ",value\n";
    for (const auto& s : series) {
      for (auto [x, y] : s.points) std::cout << s.label << "," << Num(x) << "," << Num(y) << "\n";
    }
  }
  if (!p.Get("out").empty()) {
    std::string ylabel = p.Get("ylabel");
    if (ylabel.empty()) {
      for (const auto& m : metrics) ylabel += (ylabel.empty() ? "" : ", ") + m;
    }
    std::ofstream f(p.Get("out"));
    f << RenderSvg(series, p.Get("title"),
                   axis == "step" ? "step" : "minutes since `rl train` started", ylabel);
    if (!f) return Fail(absl::UnavailableError(p.Get("out") + ": cannot write"));
    std::cerr << "rl plot: wrote " << p.Get("out") << " (" << series.size() << " series)\n";
  }
  return 0;
}

}  // namespace rl::cli
