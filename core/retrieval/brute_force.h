// The reference answer every retriever is tested against.
#ifndef TAILOR_CORE_RETRIEVAL_BRUTE_FORCE_H_
#define TAILOR_CORE_RETRIEVAL_BRUTE_FORCE_H_

#include <vector>

#include "core/base/matrix.h"
#include "core/retrieval/retriever.h"

namespace tailor {

// The reference answer: scores every eligible item one by one and sorts
// them all, then applies the group caps greedily.
std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query,
                                       const SearchParams& params);

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_BRUTE_FORCE_H_
