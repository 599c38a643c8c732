// Test-log parsers for the SWE runner (see runner.h).
#include <sstream>

#include "sandbox/swe/runner.h"

namespace rl::swe {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

void Add(ParsedLog& log, const std::string& name, TestStatus st) {
  if (name.empty()) return;
  auto [it, inserted] = log.tests.emplace(name, st);
  if (!inserted && it->second != st) {
    if (it->second != TestStatus::kFail || st != TestStatus::kFail) log.conflicts.push_back(name);
    it->second = TestStatus::kFail;
  }
}

bool StartsWith(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

// "name: PASS"
void PlainLine(const std::string& line, ParsedLog& log) {
  std::string t = Trim(line);
  size_t colon = t.rfind(": ");
  if (colon == std::string::npos) return;
  std::string word = Trim(t.substr(colon + 2));
  std::string name = Trim(t.substr(0, colon));
  if (word == "PASS")
    Add(log, name, TestStatus::kPass);
  else if (word == "FAIL")
    Add(log, name, TestStatus::kFail);
  else if (word == "SKIP")
    Add(log, name, TestStatus::kSkip);
  else if (word == "ERROR")
    Add(log, name, TestStatus::kError);
}

bool PytestWord(const std::string& w, TestStatus* st) {
  if (w == "PASSED" || w == "XPASS")
    *st = TestStatus::kPass;
  else if (w == "FAILED" || w == "XFAIL")
    *st = TestStatus::kFail;
  else if (w == "SKIPPED")
    *st = TestStatus::kSkip;
  else if (w == "ERROR")
    *st = TestStatus::kError;
  else
    return false;
  return true;
}

void PytestLine(const std::string& line, ParsedLog& log) {
  std::istringstream in(Trim(line));
  std::string a, b;
  in >> a >> b;
  TestStatus st;
  if (a.find("::") != std::string::npos && PytestWord(b, &st))
    Add(log, a, st);
  else if (b.find("::") != std::string::npos && PytestWord(a, &st))
    Add(log, b, st);
}

void GotestLine(const std::string& line, ParsedLog& log) {
  std::string t = Trim(line);
  std::istringstream in(t);
  std::string dashes, word, name;
  in >> dashes >> word >> name;
  if (dashes != "---") return;
  if (word == "PASS:")
    Add(log, name, TestStatus::kPass);
  else if (word == "FAIL:")
    Add(log, name, TestStatus::kFail);
  else if (word == "SKIP:")
    Add(log, name, TestStatus::kSkip);
}

void GtestLine(const std::string& line, ParsedLog& log) {
  std::string t = Trim(line);
  auto name_after = [&](size_t n) {
    std::istringstream in(t.substr(n));
    std::string name;
    in >> name;
    return name.find('.') != std::string::npos ? name : std::string();
  };
  if (StartsWith(t, "[       OK ]"))
    Add(log, name_after(12), TestStatus::kPass);
  else if (StartsWith(t, "[  FAILED  ]"))
    Add(log, name_after(12), TestStatus::kFail);
  else if (StartsWith(t, "[  SKIPPED ]"))
    Add(log, name_after(12), TestStatus::kSkip);
  // CTest: "1/3 Test #1: name ......   Passed    0.01 sec"
  size_t hash = t.find("Test #");
  if (hash == std::string::npos) return;
  size_t colon = t.find(": ", hash);
  if (colon == std::string::npos) return;
  std::string rest = t.substr(colon + 2);
  size_t sp = rest.find(' ');
  if (sp == std::string::npos) return;
  std::string name = rest.substr(0, sp);
  if (rest.find(" Passed") != std::string::npos)
    Add(log, name, TestStatus::kPass);
  else if (rest.find("Not Run") != std::string::npos || rest.find("Disabled") != std::string::npos)
    Add(log, name, TestStatus::kSkip);
  else if (rest.find("***") != std::string::npos)
    Add(log, name, TestStatus::kFail);
}

}  // namespace

const char* TestStatusName(TestStatus s) {
  switch (s) {
    case TestStatus::kPass:
      return "PASS";
    case TestStatus::kFail:
      return "FAIL";
    case TestStatus::kSkip:
      return "SKIP";
    case TestStatus::kError:
      return "ERROR";
  }
  return "?";
}

ParsedLog ParseTestLog(const std::string& parser, const std::string& log) {
  ParsedLog out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (parser == "pytest")
      PytestLine(line, out);
    else if (parser == "gotest")
      GotestLine(line, out);
    else if (parser == "gtest" || parser == "ctest")
      GtestLine(line, out);
    else
      PlainLine(line, out);
  }
  return out;
}

}  // namespace rl::swe
