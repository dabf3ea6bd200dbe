namespace Bridge.Tests.Daemon;

/// <summary>The checkout the tests were built from: the folder above the test assembly that holds bridge.sln.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "bridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no bridge.sln above {AppContext.BaseDirectory}");
    }
}
