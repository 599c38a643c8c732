// GenRM prompt templates and verdict parsing: pure functions, thread-safe, no state.
//
// Templates: `{name}` placeholders (name = [a-z_]+) are replaced by the value given for
// `name`; the substitution is single-pass, so a response that itself contains "{reference}"
// is inserted verbatim and never expanded. A `{name}` with no value is an error (catches
// typos in the YAML); braces that do not form `{identifier}` (JSON, LaTeX) are left alone.
//
// Verdicts (docs/genrm.md lists the accepted forms):
//   grade mode    → an integer 1..5;
//   pairwise mode → −1 (response worse than the reference), 0 (equal), +1 (better).
// The judge prompt asks for a strict final line ("Score: N" / "Verdict: V"); when the last
// non-empty line is exactly that, it wins over anything said before. Otherwise every
// recognised score form anywhere in the text is collected and they must all agree. Errors
// (InvalidArgument, the message says why): no score, conflicting scores, out of range,
// a non-integer, or a hedged score ("4 or 5", "3-4", "between 3 and 4").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"

namespace rl::rewards::genrm {

// Every `{name}` of tmpl replaced by values[name]; NotFound-style InvalidArgument names an
// unknown placeholder. `where` labels errors (e.g. "rewards.genrm.grade_template").
StatusOr<std::string> FillTemplate(std::string_view tmpl,
                                   const std::map<std::string, std::string>& values,
                                   std::string_view where = "template");

// Checks that tmpl uses only names in `allowed` and contains every name in `required`.
Status CheckTemplate(std::string_view tmpl, const std::vector<std::string>& allowed,
                     const std::vector<std::string>& required, std::string_view where);

StatusOr<int> ParseGradeVerdict(std::string_view text);     // 1..5
StatusOr<int> ParsePairwiseVerdict(std::string_view text);  // -1, 0, +1

// Grade g in 1..5 → reward (g − 1) / 4 in [0, 1].
inline float GradeToReward(int grade) { return static_cast<float>(grade - 1) / 4.0f; }

}  // namespace rl::rewards::genrm
