#include "simulator/label_layout.h"

#include <algorithm>
#include <limits>

namespace claimmap::sim {
namespace {

constexpr int kRings = 8;
constexpr double kGap = 3;  // between a point's mark and its label

// The label's box in direction `dir` (0 right-above, 1 right, 2 right-below,
// 3 left-above, 4 left, 5 left-below, 6 above, 7 below) at `distance` from
// the point's centre.
LabelBox candidate(const PointLabel& l, int dir, double distance) {
  const double w = l.width, h = l.height;
  const double d = distance, diag = distance * 0.75;
  double x0 = 0, y0 = 0;
  switch (dir) {
    case 0: x0 = l.x + diag, y0 = l.y - diag - h; break;
    case 1: x0 = l.x + d, y0 = l.y - h / 2; break;
    case 2: x0 = l.x + diag, y0 = l.y + diag; break;
    case 3: x0 = l.x - diag - w, y0 = l.y - diag - h; break;
    case 4: x0 = l.x - d - w, y0 = l.y - h / 2; break;
    case 5: x0 = l.x - diag - w, y0 = l.y + diag; break;
    case 6: x0 = l.x - w / 2, y0 = l.y - d - h; break;
    default: x0 = l.x - w / 2, y0 = l.y + d; break;
  }
  return {x0, y0, x0 + w, y0 + h};
}

bool inside(const LabelBox& b, const LabelBox& area) {
  return b.x0 >= area.x0 && b.x1 <= area.x1 && b.y0 >= area.y0 && b.y1 <= area.y1;
}

}  // namespace

double LabelBox::overlap_area(const LabelBox& o) const {
  const double w = std::min(x1, o.x1) - std::max(x0, o.x0), h = std::min(y1, o.y1) - std::max(y0, o.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

std::vector<PlacedLabel> place_labels(const std::vector<PointLabel>& labels, double radius, const LabelBox& area,
                                      const std::vector<LabelBox>& obstacles) {
  std::vector<LabelBox> taken = obstacles;  // and every point's mark, then each label placed
  for (const PointLabel& l : labels) taken.push_back({l.x - radius, l.y - radius, l.x + radius, l.y + radius});
  std::vector<PlacedLabel> out;
  for (const PointLabel& l : labels) {
    PlacedLabel best;
    double best_cost = std::numeric_limits<double>::infinity();
    for (int ring = 0; ring < kRings && best_cost > 0; ++ring) {
      const double distance = radius + kGap + ring * (l.height + 2);
      for (int dir = 0; dir < 8 && best_cost > 0; ++dir) {
        const LabelBox box = candidate(l, dir, distance);
        // Outside the area costs more than any overlap could; among the free
        // spots the first tried (nearest, right-above first) wins.
        double cost = inside(box, area) ? 0 : 1e9;
        for (const LabelBox& t : taken) cost += box.overlap_area(t);
        if (cost < best_cost) {
          best_cost = cost;
          best = {box, ring > 0};
        }
      }
    }
    taken.push_back(best.box);
    out.push_back(best);
  }
  return out;
}

}  // namespace claimmap::sim
