using Microsoft.Extensions.Options;

namespace Bridge.Core.Configuration;

/// <summary>
/// What a validator finds wrong with one options type, each failure written <c>key: message</c> with the whole
/// configuration key (<c>Consul:Wait: ...</c>), the form in which every setting error reaches the operator.
/// </summary>
/// <param name="section">The section the options type is bound from.</param>
/// <param name="origins">
/// Where a setting came from when that is not its own key (e.g. <c>CaFile</c> from <c>CONSUL_CACERT</c>), so a
/// failure names what the operator actually set.
/// </param>
public sealed class SettingFailures(string section, IReadOnlyDictionary<string, string>? origins = null)
{
    private readonly List<string> _failures = [];

    public string KeyOf(string property) =>
        origins is not null && origins.TryGetValue(property, out var origin) ? origin : $"{section}:{property}";

    public void Add(string property, string message) => _failures.Add($"{KeyOf(property)}: {message}");

    /// <summary>A failure of a key below a setting (a list item, a map entry, a line of a file).</summary>
    public void AddKey(string key, string message) => _failures.Add($"{key}: {message}");

    /// <summary>A listen address must be <c>host:port</c> with an IP literal host.</summary>
    public void RequireListenAddress(string property, string value, string example)
    {
        if (!ListenAddress.TryParse(value, out _))
        {
            Add(property, $"'{value}' is not host:port with an IP literal host, e.g. {example}");
        }
    }

    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);
}
