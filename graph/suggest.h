// "Did you mean": the nearest of a set of names to a misspelt one.
#ifndef LOCKSTEP_GRAPH_SUGGEST_H_
#define LOCKSTEP_GRAPH_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

// Levenshtein distance.
size_t EditDistance(std::string_view a, std::string_view b);

// The index of the candidate nearest to `word`, if it is near enough to be a
// likely typo (at most max(2, |word|/3) edits); ties go to the later
// candidate. -1 when none is.
int ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" for the closest candidate, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_SUGGEST_H_
