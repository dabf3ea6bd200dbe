namespace Bridge.DevAgent.ConfigEntries;

/// <summary>hashicorp/go-multierror's default text, which Consul returns when a validation collects several problems.</summary>
internal static class MultiError
{
    public static string Format(IReadOnlyList<string> errors) => errors.Count == 1
        ? $"1 error occurred:\n\t* {errors[0]}\n\n"
        : $"{errors.Count} errors occurred:\n\t{string.Join("\n\t", errors.Select(e => "* " + e))}\n\n";
}
