// Small string helpers shared by the config validator, the CLI and the store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rl {

// Edit distance (insert, delete, substitute, adjacent transposition).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
bool StartsWith(std::string_view s, std::string_view prefix);

// Shell-style glob with * and ? (as used by `rl metrics --name 'train/*'`).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace rl
