namespace Bridge.DevAgent;

/// <summary>Standalone entry point (placeholder while the agent is assembled).</summary>
public static class Program
{
    /// <summary>Runs the agent.</summary>
    public static int Main(string[] args) => 0;
}
