#include "simulator/delta_tally.h"

namespace claimmap::sim {

void DeltaTally::merge(const DeltaTally& o) {
  EventCounters::merge(o);
  for (size_t i = 0; i < planned_by_kind.size(); ++i) planned_by_kind[i] += o.planned_by_kind[i];
  input_bytes += o.input_bytes;
}

}  // namespace claimmap::sim
