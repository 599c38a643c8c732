// Entry point of `rl`: dispatches to the subcommand table in command.h.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "rl/cli/command.h"
#include "rl/core/strings.h"

namespace rl::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"train", "run RL from a YAML config (rl train CONFIG [--resume] [--set k=v])", RunTrain},
      {"eval", "score a checkpoint on a task set (rl eval --model DIR --tasks FILE)", RunEval},
      {"sft", "supervised fine-tuning from JSONL into a checkpoint (rl sft CONFIG)", RunSft},
      {"config check", "validate a run config; errors as file:line:column: field: message",
       RunConfigCheck},
      {"config show", "print the resolved config (defaults filled in) as YAML", RunConfigShow},
      {"config doc", "print the reference of every config key as Markdown", RunConfigDoc},
      {"rollout-worker", "serve rollouts over gRPC (rl rollout-worker --listen ADDR)",
       RunRolloutWorker},
      {"runs", "list runs found in run directories", RunRuns},
      {"metrics", "print a run's metrics (table, csv or json)", RunMetrics},
      {"plot", "draw metrics of runs as an SVG line chart (x: minutes or step)", RunPlot},
      {"samples", "print a run's stored samples", RunSamples},
      {"model init", "write a randomly initialised checkpoint (+ the embedded tokenizer)",
       RunModelInit},
      {"model info", "describe a checkpoint: layers, parameters, memory", RunModelInfo},
      {"generate", "sample a continuation of a prompt from a checkpoint", RunGenerate},
      {"score", "per-token log-probs of JSONL sequences under a checkpoint", RunScore},
      {"verify", "score responses with a verifier (one JSON result per case)", RunVerify},
      {"verifier-server", "serve the verifiers over gRPC (proto/verifier.proto)",
       RunVerifierServer},
      {"sandbox run", "run a command in a fresh sandbox; prints the outcome as JSON",
       RunSandboxRun},
      {"swe eval", "score patches for SWE instances in the sandbox (one JSON per instance)",
       RunSweEval},
  };
  return kCommands;
}

int ParseOrExit(ArgParser& parser, const Args& args) {
  Status st = parser.Parse(args);
  if (!st.ok()) {
    std::cerr << "rl: " << st.message() << "\n";
    return 2;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return 0;
  }
  return -1;
}

int Fail(const Status& status) {
  std::cerr << "rl: " << status.message() << "\n";
  return 1;
}

namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: rl <command> [options]\n\n"
         "A reinforcement-learning post-training framework implementing the MiniMax-M1 recipe.\n\n"
         "commands:\n";
  for (const auto& c : Commands()) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\nrun `rl <command> --help` for a command's options.\n";
}

int Main(int argc, char** argv) {
  Args args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "rl " << RL_VERSION << "\n";
    return 0;
  }
  // Two-word commands first ("config check"), then one-word ones.
  for (int words = 2; words >= 1; --words) {
    if (static_cast<int>(args.size()) < words) continue;
    std::string name = words == 2 ? args[0] + " " + args[1] : args[0];
    for (const auto& c : Commands()) {
      if (name == c.name) return c.run(Args(args.begin() + words, args.end()));
    }
  }
  std::vector<std::string> names;
  for (const auto& c : Commands()) names.push_back(c.name);
  std::string hint = DidYouMean(args[0], names);
  std::cerr << "rl: unknown command '" << args[0] << "'"
            << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << "; see rl --help\n";
  return 2;
}

}  // namespace
}  // namespace rl::cli

int main(int argc, char** argv) { return rl::cli::Main(argc, argv); }
