#include "probe/go_offsets.h"

#include <fmt/format.h>

namespace gri::probe {

Result<go_offsets> resolve_go_offsets(const goelf::RuntimeLayout& layout, std::string_view go_version) {
  go_offsets o{};
  const std::pair<const char*, __u32*> keys[] = {
      {"g.goid", &o.g_goid}, {"g.m", &o.g_m}, {"m.p", &o.m_p}, {"p.id", &o.p_id}};
  for (const auto& [key, out] : keys) {
    auto off = layout.offset(key);
    if (!off) return make_error("no offset for {} in this binary ({})", key, go_version);
    *out = static_cast<__u32>(*off);
  }
  return o;
}

}  // namespace gri::probe
