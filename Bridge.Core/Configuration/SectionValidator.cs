using Microsoft.Extensions.Options;

namespace Bridge.Core.Configuration;

/// <summary>
/// The validator of one options section: a subclass says what is wrong (<see cref="Check"/>), each failure under its
/// whole key, and the failures become the result Options binding reports.
/// </summary>
/// <param name="section">The section the options type is bound from.</param>
/// <param name="origins">Where a setting came from when not from its own key (see <see cref="SettingFailures"/>).</param>
public abstract class SectionValidator<TOptions>(string section, IReadOnlyDictionary<string, string>? origins = null)
    : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new SettingFailures(section, origins);
        Check(options, failures);
        return failures.Result;
    }

    protected abstract void Check(TOptions options, SettingFailures failures);
}
