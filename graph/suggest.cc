#include "graph/suggest.h"

#include <algorithm>

namespace lockstep {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

int ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  int best = -1;
  size_t best_distance = SIZE_MAX;
  for (size_t i = 0; i < candidates.size(); ++i) {
    size_t d = EditDistance(word, candidates[i]);
    if (d <= best_distance) best = static_cast<int>(i), best_distance = d;
  }
  if (best < 0 || best_distance > std::max<size_t>(2, word.size() / 3)) return -1;
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  int i = ClosestMatch(word, candidates);
  if (i < 0) return "";
  return " (did you mean '" + std::string(candidates[i]) + "'?)";
}

}  // namespace lockstep
