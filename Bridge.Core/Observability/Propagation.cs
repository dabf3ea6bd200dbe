namespace Bridge.Core.Observability;

/// <summary>Records how long a Consul change took to reach proxies, once per response and once per ACK.</summary>
public interface IPropagationRecorder
{
    /// <summary>Consul answer received to the response written on a stream, in seconds.</summary>
    void Written(double seconds);

    /// <summary>Consul answer received to the proxy's ACK of that response, in seconds.</summary>
    void Acked(double seconds);
}

/// <summary>
/// The propagation histograms: by default on <see cref="BridgeMetrics.Meter"/>; a host may record them straight into
/// its exporter instead (<see cref="RecordWith"/>), since a meter listener may cost a lookup and a lease per
/// measurement, and these are measured on the hottest path there is.
/// </summary>
public static class Propagation
{
    /// <summary>Names without the meter's prefix.</summary>
    public const string WrittenName = "propagation_write_seconds";
    public const string WrittenDescription = "Consul answer received to xDS response written on a stream";
    public const string AckedName = "propagation_ack_seconds";
    public const string AckedDescription = "Consul answer received to the proxy's ACK of the resulting response";

    private static IPropagationRecorder? s_recorder;

    internal static IPropagationRecorder Recorder => s_recorder ??= new MeterRecorder();

    /// <summary>Call before the first stream: the meter's histograms are then never created, so no name is exported twice.</summary>
    public static void RecordWith(IPropagationRecorder recorder) => s_recorder = recorder;

    private sealed class MeterRecorder : IPropagationRecorder
    {
        // No tags: a histogram without labels costs a listener one lookup per measurement.
        private readonly Histogram<double> _written = BridgeMetrics.Meter.CreateHistogram<double>(WrittenName, description: WrittenDescription);
        private readonly Histogram<double> _acked = BridgeMetrics.Meter.CreateHistogram<double>(AckedName, description: AckedDescription);

        public void Written(double seconds) => _written.Record(seconds);

        public void Acked(double seconds) => _acked.Record(seconds);
    }
}
