// The chat template of the embedded default model (and of any checkpoint whose
// tokenizer.json carries these special tokens). A task's prompt becomes
//
//   <|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n<think>\n
//
// and the model continues with its reasoning, `</think>`, the final answer (math: in
// \boxed{}), then `<|im_end|>` (the end-of-sequence token). The format reward checks this
// shape. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rl::tasks {

inline constexpr std::string_view kImStart = "<|im_start|>";
inline constexpr std::string_view kImEnd = "<|im_end|>";
inline constexpr std::string_view kThinkOpen = "<think>";
inline constexpr std::string_view kThinkClose = "</think>";

// The generation prompt for one user message.
std::string ApplyChatTemplate(std::string_view user_prompt);

// The text an SFT example trains on after the prompt: reasoning, answer and the end token.
std::string FormatResponse(std::string_view reasoning, std::string_view answer);

// True when response (the text generated after ApplyChatTemplate's output) has the shape
// "reasoning </think> answer" with a non-empty answer and no second <think>.
bool FollowsResponseFormat(std::string_view response);

}  // namespace rl::tasks
