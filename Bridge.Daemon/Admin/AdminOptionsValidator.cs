using Bridge.Core.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Daemon.Admin;

/// <summary>Checks the <c>Admin</c> section once bound.</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions o)
    {
        var failures = new SettingFailures(AdminOptions.SectionName);
        if (!ListenAddress.TryParse(o.Listen, out _))
        {
            failures.Add(nameof(o.Listen), $"'{o.Listen}' is not host:port with an IP literal host, e.g. 127.0.0.1:19000");
        }

        return failures.Result;
    }
}
