// simulator/label_layout.h — where the report page puts the short labels of
// a chart's points (the capacity probes' numbers, the max latency), so that
// no label covers another label or a point.
//
// The probes near the capacity sit within a few percent of each other in
// rate and p99, so labels at a fixed offset piled up ("6", "8" and "9" were
// drawn over each other). Each label, in order, takes the first free spot
// among eight around its point (right-above first, then right, right-below,
// left-above, …), trying rings further out when the near ones are taken; a
// label placed beyond the first ring gets a leader line to its point. When
// nothing is free within the area it takes the spot with the least overlap.
//
// Pure geometry in the chart's pixel space (y grows downwards); the result
// depends only on the input, so the page stays byte-for-byte reproducible.
#pragma once

#include <vector>

namespace claimmap::sim {

struct LabelBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // x0 <= x1, y0 <= y1

  bool overlaps(const LabelBox& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  double overlap_area(const LabelBox& o) const;
};

struct PointLabel {
  double x = 0, y = 0;            // the point
  double width = 0, height = 0;  // the label's text
};

struct PlacedLabel {
  LabelBox box;         // where the text goes: draw it from (box.x0, box.y1 - descent)
  bool leader = false;  // away from its point: join them with a line
};

// `radius`: of every point's mark (each point is an obstacle for every
// label); `area`: where labels may go (the plot); `obstacles`: other marks
// no label may cover (unlabelled points).
std::vector<PlacedLabel> place_labels(const std::vector<PointLabel>& labels, double radius, const LabelBox& area,
                                      const std::vector<LabelBox>& obstacles = {});

}  // namespace claimmap::sim
