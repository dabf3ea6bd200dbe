namespace Bridge.Testing.Ads;

/// <summary>A response together with the moment it was read off the stream.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
/// <param name="Response">The response as the server sent it.</param>
/// <param name="Timestamp">
/// <see cref="Stopwatch.GetTimestamp"/> taken as soon as the response was read, before any test code saw it.
/// </param>
public readonly record struct Received<TResponse>(TResponse Response, long Timestamp)
    where TResponse : class
{
    /// <summary>Time from <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value) to the receipt.</summary>
    /// <param name="startTimestamp">When the change being measured was made.</param>
    /// <returns>The propagation delay; negative if the response arrived before the start.</returns>
    public TimeSpan Since(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp, Timestamp);
}
