using Bridge.Core.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Daemon.Configuration;

/// <summary>Checks the <c>State</c> section once bound.</summary>
internal sealed class StateOptionsValidator : IValidateOptions<StateOptions>
{
    public ValidateOptionsResult Validate(string? name, StateOptions o)
    {
        var failures = new SettingFailures(StateOptions.SectionName);
        if (o.MaxAge <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.MaxAge), $"{o.MaxAge} must be positive, e.g. 7.00:00:00");
        }

        if (o.WriteInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add(nameof(o.WriteInterval), "must be at least 00:00:00.1");
        }

        return failures.Result;
    }
}
