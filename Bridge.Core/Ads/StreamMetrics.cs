using Bridge.Core.Observability;
using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>What streams record about their responses, ACKs and NACKs.</summary>
internal static class StreamMetrics
{
    public static void Written(string typeUrl, string protocol, long changedAt)
    {
        BridgeMetrics.ResponseWritten(TypeUrls.IndexOf(typeUrl), protocol == "delta");
        if (changedAt != 0)
        {
            BridgeMetrics.PropagationToWrite.Record(BridgeMetrics.SecondsSince(changedAt));
        }
    }

    public static void Acked(long changedAt)
    {
        if (changedAt != 0)
        {
            BridgeMetrics.PropagationToAck.Record(BridgeMetrics.SecondsSince(changedAt));
        }
    }

    public static void Nacked(string typeUrl) => BridgeMetrics.Nacks.Add(1, new KeyValuePair<string, object?>("type", TypeUrls.Short(typeUrl)));
}
