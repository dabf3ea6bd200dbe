using System.Collections;
using Microsoft.Extensions.Options;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Binds one options type from its section and validates it as <see cref="IOptions{TOptions}"/> would: an
/// <see cref="OptionsFactory{TOptions}"/> binds the section and runs the type's validator. Before that, every key of
/// the section must name one of the type's settings and every value must read as the setting's type, so each mistake
/// is reported by key with what would be accepted, not as the binder's first exception.
/// </summary>
internal static class OptionsBinder
{
    /// <summary>The settings of an options type: its public properties that can be set.</summary>
    public static IEnumerable<PropertyInfo> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    /// <param name="alsoKnown">Keys of the section that another options type binds.</param>
    /// <param name="ignoreUnknown">Another type already reports the section's unknown keys.</param>
    /// <returns>The options, or null when anything was wrong (then <paramref name="errors"/> says what).</returns>
    public static T? Bind<T>(
        IConfiguration configuration, string sectionName, IValidateOptions<T> validator, List<SettingError> errors, IReadOnlyList<string>? alsoKnown = null, bool ignoreUnknown = false)
        where T : class
    {
        var section = configuration.GetSection(sectionName);
        if (!ignoreUnknown)
        {
            RejectUnknown(section, typeof(T), alsoKnown ?? [], errors);
        }

        var before = errors.Count;
        CheckValues(section, typeof(T), errors);
        if (errors.Count > before)
        {
            return null;
        }

        var factory = new OptionsFactory<T>([new ConfigureFromConfigurationOptions<T>(section)], [], [validator]);
        try
        {
            return factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException e)
        {
            errors.AddRange(e.Failures.Select(SettingError.FromFailure));
            return null;
        }
        catch (InvalidOperationException e)
        {
            errors.Add(new SettingError(sectionName, e.Message));
            return null;
        }
    }

    private static void RejectUnknown(IConfigurationSection section, Type type, IReadOnlyList<string> alsoKnown, List<SettingError> errors)
    {
        var known = Settings(type).Select(p => p.Name).Concat(alsoKnown).ToList();
        foreach (var child in section.GetChildren().Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            var close = known.Where(k => IsClose(child.Key, k)).ToList();
            var hint = close.Count > 0 ? $"did you mean {string.Join(" or ", close)}? " : "";
            errors.Add(new SettingError($"{section.Path}:{child.Key}", $"unknown setting; {hint}known settings of {section.Path}: {string.Join(", ", known)}"));
        }
    }

    /// <summary>A value the binder would refuse with an exception, or, for a list or a map, silently drop.</summary>
    private static void CheckValues(IConfigurationSection section, Type type, List<SettingError> errors)
    {
        foreach (var property in Settings(type))
        {
            var raw = section[property.Name];
            if (raw is null)
            {
                continue;
            }

            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = $"{section.Path}:{property.Name}";
            var problem = valueType switch
            {
                { IsEnum: true } when !Enum.TryParse(valueType, raw, ignoreCase: true, out _) =>
                    $"'{raw}' is not accepted; accepted values: {string.Join(", ", Enum.GetNames(valueType))}",
                _ when valueType == typeof(TimeSpan) && !TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out _) =>
                    $"'{raw}' is not a duration; write it as hh:mm:ss(.fff), e.g. 00:05:00",
                _ when (valueType == typeof(int) && !int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                    || (valueType == typeof(long) && !long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) =>
                    $"'{raw}' is not a whole number",
                _ when valueType == typeof(double) && !double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out _) =>
                    $"'{raw}' is not a number, e.g. 0.5",
                _ when valueType == typeof(bool) && !bool.TryParse(raw, out _) =>
                    $"'{raw}' is not accepted; accepted values: true, false",
                // The binder would leave the collection empty: for an allow-list, that means "allow all". The value is
                // not repeated: it may be a token.
                _ when valueType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(valueType) && raw.Length > 0 => IsMap(valueType)
                    ? $"a single value where a map is expected: write it as a JSON object, or as {key}:<name>=<value>"
                    : $"a single value where a list is expected: write it as a JSON array, or as {key}:0, {key}:1, ...",
                _ => null,
            };
            if (problem is not null)
            {
                errors.Add(new SettingError(key, problem));
            }
        }
    }

    private static bool IsMap(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IReadOnlyDictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>));

    /// <summary>
    /// A known key the operator probably meant: one holds the other, the known one holds every word of the typed one
    /// (<c>ZoneKey</c>, <c>ZoneNodeMetaKey</c>), or they are two edits apart (<c>Adress</c>, <c>Address</c>).
    /// </summary>
    private static bool IsClose(string typed, string known)
    {
        var (a, b) = (typed.ToUpperInvariant(), known.ToUpperInvariant());
        if (Math.Min(a.Length, b.Length) >= 3 && (a.Contains(b, StringComparison.Ordinal) || b.Contains(a, StringComparison.Ordinal)))
        {
            return true;
        }

        var words = Words(typed).Where(w => w.Length >= 3).ToList();
        if (words.Count > 1 && words.All(w => known.Contains(w, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // Levenshtein distance, one row at a time.
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length] <= 2;
    }

    /// <summary>The words of a PascalCase key: <c>ZoneNodeMetaKey</c> is Zone, Node, Meta, Key.</summary>
    private static IEnumerable<string> Words(string key)
    {
        var start = 0;
        for (var i = 1; i <= key.Length; i++)
        {
            if (i == key.Length || char.IsUpper(key[i]))
            {
                yield return key[start..i];
                start = i;
            }
        }
    }
}
