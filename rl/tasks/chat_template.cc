#include "rl/tasks/chat_template.h"

namespace rl::tasks {

std::string ApplyChatTemplate(std::string_view user_prompt) {
  std::string s;
  s.reserve(user_prompt.size() + 64);
  s.append(kImStart).append("user\n").append(user_prompt).append(kImEnd).append("\n");
  s.append(kImStart).append("assistant\n").append(kThinkOpen).append("\n");
  return s;
}

std::string FormatResponse(std::string_view reasoning, std::string_view answer) {
  std::string s;
  s.append(reasoning).append("\n").append(kThinkClose).append("\n").append(answer);
  s.append(kImEnd);
  return s;
}

bool FollowsResponseFormat(std::string_view response) {
  size_t close = response.find(kThinkClose);
  if (close == std::string_view::npos) return false;
  if (response.find(kThinkOpen) != std::string_view::npos) return false;
  if (response.find(kThinkClose, close + kThinkClose.size()) != std::string_view::npos)
    return false;
  std::string_view answer = response.substr(close + kThinkClose.size());
  if (size_t end = answer.find(kImEnd); end != std::string_view::npos) {
    if (end + kImEnd.size() != answer.size()) return false;  // text after the end token
    answer = answer.substr(0, end);
  }
  return answer.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

}  // namespace rl::tasks
