using Bridge.Core.Configuration;

namespace Bridge.Daemon.Admin;

/// <summary>Checks the <c>Admin</c> section once bound.</summary>
internal sealed class AdminOptionsValidator() : SectionValidator<AdminOptions>(AdminOptions.SectionName)
{
    protected override void Check(AdminOptions o, SettingFailures failures)
    {
        failures.RequireListenAddress(nameof(o.Listen), o.Listen, "127.0.0.1:19000");
    }
}
