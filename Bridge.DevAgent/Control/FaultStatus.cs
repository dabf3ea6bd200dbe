using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Control;

/// <summary>Answer of <c>/_dev/faults</c>: the faults in force (counts show what is left) and the counters.</summary>
internal sealed record FaultStatus(FaultSettings Settings, FaultCounters Counters);
