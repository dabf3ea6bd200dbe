namespace Bridge.DevAgent.Filtering;

/// <summary>
/// What a Go field's type lets a filter do with it (go-bexpr v0.1.2 field configurations): the operators allowed on the
/// field itself, how a value is coerced for it, and how a selector may continue into it.
/// </summary>
internal enum FieldKind
{
    /// <summary>A string: <c>==</c>, <c>!=</c>, <c>in</c>/<c>contains</c> (substring), <c>matches</c>.</summary>
    String,

    /// <summary>Any Go integer: <c>==</c>, <c>!=</c>, values parsed as <c>strconv.ParseInt(v, 0, 64)</c>.</summary>
    Int,

    /// <summary>A bool: <c>==</c>, <c>!=</c>, values parsed as <c>strconv.ParseBool</c>.</summary>
    Bool,

    /// <summary>A <c>[]string</c>: <c>in</c> (an element equals the value), <c>is empty</c>.</summary>
    StringList,

    /// <summary>A <c>map[string]string</c>: <c>in</c> (a key), <c>is empty</c>; <c>.key</c> selects a value.</summary>
    StringMap,

    /// <summary>A map of string to struct: <c>in</c> (a key), <c>is empty</c>; <c>.key.field</c> selects into a value.</summary>
    ObjectMap,

    /// <summary>A struct: no operator on itself; <c>.field</c> selects a field.</summary>
    Object,

    /// <summary>A slice of structs: <c>is empty</c>; <c>.field</c> matches when any element's field does.</summary>
    ObjectList,
}

/// <summary>One selectable field: its kind, how to read it from its parent, and what may be selected inside it.</summary>
internal sealed class FilterField
{
    /// <summary>Key of the one sub-field of a map: any key selects it (bexpr's <c>FieldNameAny</c>).</summary>
    public const string AnyKey = "";

    private FilterField(FieldKind kind, Func<object, object?> get, IReadOnlyDictionary<string, FilterField>? fields)
    {
        Kind = kind;
        Get = get;
        Fields = fields;
    }

    public FieldKind Kind { get; }

    /// <summary>Reads the field from its parent value (a struct, or a map for a map's value).</summary>
    public Func<object, object?> Get { get; }

    /// <summary>What a selector may continue with: a struct's fields, a slice element's fields, or a map's <see cref="AnyKey"/>.</summary>
    public IReadOnlyDictionary<string, FilterField>? Fields { get; }

    public static FilterField String(Func<object, string?> get) => new(FieldKind.String, get, null);

    public static FilterField Int(Func<object, long> get) => new(FieldKind.Int, o => get(o), null);

    public static FilterField Bool(Func<object, bool> get) => new(FieldKind.Bool, o => get(o), null);

    public static FilterField StringList(Func<object, IReadOnlyList<string>?> get) => new(FieldKind.StringList, get, null);

    public static FilterField StringMap(Func<object, IReadOnlyDictionary<string, string>?> get) =>
        new(FieldKind.StringMap, get, new Dictionary<string, FilterField>(StringComparer.Ordinal) { [AnyKey] = String(o => (string)o) });

    public static FilterField ObjectMap<TValue>(Func<object, IReadOnlyDictionary<string, TValue>?> get, IReadOnlyDictionary<string, FilterField> valueFields)
        where TValue : class =>
        new(
            FieldKind.ObjectMap,
            o => get(o) is { } map ? map.ToDictionary(p => p.Key, p => (object)p.Value, StringComparer.Ordinal) : null,
            new Dictionary<string, FilterField>(StringComparer.Ordinal) { [AnyKey] = Object(o => o, valueFields) });

    public static FilterField Object(Func<object, object?> get, IReadOnlyDictionary<string, FilterField> fields) => new(FieldKind.Object, get, fields);

    public static FilterField ObjectList(Func<object, IEnumerable<object>?> get, IReadOnlyDictionary<string, FilterField> elementFields) =>
        new(FieldKind.ObjectList, get, elementFields);

    /// <summary>The root of a schema: the type each filtered element has.</summary>
    public static FilterField Root(IReadOnlyDictionary<string, FilterField> fields) => Object(o => o, fields);

    /// <summary>The operators go-bexpr allows on a field of this kind.</summary>
    public bool Supports(MatchOperator op) => Kind switch
    {
        FieldKind.String => op is MatchOperator.Equal or MatchOperator.NotEqual or MatchOperator.In or MatchOperator.NotIn
            or MatchOperator.Matches or MatchOperator.NotMatches,
        FieldKind.Int or FieldKind.Bool => op is MatchOperator.Equal or MatchOperator.NotEqual,
        FieldKind.StringList or FieldKind.StringMap or FieldKind.ObjectMap =>
            op is MatchOperator.In or MatchOperator.NotIn or MatchOperator.IsEmpty or MatchOperator.IsNotEmpty,
        FieldKind.ObjectList => op is MatchOperator.IsEmpty or MatchOperator.IsNotEmpty,
        _ => false,
    };

    /// <summary>The field's coercion function (null for structs and slices of structs, which take no value).</summary>
    public object? Coerce(string raw) => Kind switch
    {
        FieldKind.Int => GoStrconv.ParseInt(raw),
        FieldKind.Bool => GoStrconv.ParseBool(raw),
        FieldKind.String or FieldKind.StringList or FieldKind.StringMap or FieldKind.ObjectMap => raw,
        _ => null,
    };
}
