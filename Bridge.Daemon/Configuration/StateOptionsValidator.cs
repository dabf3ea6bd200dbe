using Bridge.Core.Configuration;

namespace Bridge.Daemon.Configuration;

/// <summary>Checks the <c>State</c> section once bound.</summary>
internal sealed class StateOptionsValidator() : SectionValidator<StateOptions>(StateOptions.SectionName)
{
    protected override void Check(StateOptions o, SettingFailures failures)
    {
        if (o.MaxAge <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.MaxAge), $"{o.MaxAge} must be positive, e.g. 7.00:00:00");
        }

        if (o.WriteInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add(nameof(o.WriteInterval), "must be at least 00:00:00.1");
        }
    }
}
