// The built-in families: one generator and one verifier function per family. Each verifier
// reads the puzzle from task.metadata (never from task.answer) and accepts any response
// that is a valid solution of that puzzle. Metadata that is missing or malformed is an
// error (the pool turns it into the fallback reward with an alert); a malformed response
// is simply incorrect. All functions are pure and thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "rewards/puzzles/generator.h"

namespace rl::rewards::puzzles {

std::shared_ptr<TaskGenerator> MakeArithmeticGenerator();

std::shared_ptr<TaskGenerator> MakeCountdownGenerator();
StatusOr<VerifyResult> VerifyCountdown(const tasks::Task& task, std::string_view response);

std::shared_ptr<TaskGenerator> MakeSudokuGenerator();
StatusOr<VerifyResult> VerifySudoku(const tasks::Task& task, std::string_view response);

std::shared_ptr<TaskGenerator> MakeCipherGenerator();
StatusOr<VerifyResult> VerifyCipher(const tasks::Task& task, std::string_view response);

std::shared_ptr<TaskGenerator> MakeZebraGenerator();
StatusOr<VerifyResult> VerifyZebra(const tasks::Task& task, std::string_view response);

std::shared_ptr<TaskGenerator> MakeShortestPathGenerator();
StatusOr<VerifyResult> VerifyShortestPath(const tasks::Task& task, std::string_view response);

std::shared_ptr<TaskGenerator> MakeSatGenerator();
StatusOr<VerifyResult> VerifySat(const tasks::Task& task, std::string_view response);

// A generator from a name, defaults and a function (the families use this).
std::shared_ptr<TaskGenerator> MakeGenerator(
    std::string name, Params defaults,
    std::function<StatusOr<tasks::Task>(uint64_t, const Params&)> make);

// Reads an integer param and checks lo <= value <= hi.
StatusOr<int> IntParam(const Params& p, const std::string& key, int lo, int hi);

}  // namespace rl::rewards::puzzles
