namespace Bridge.Core.Configuration;

/// <summary>
/// An immutable map that compares by content: the same keys (under the map's key comparer) with equal values,
/// whatever the order. Options records store their maps as one, for the reason <see cref="EquatableList{T}"/> gives.
/// </summary>
public sealed class EquatableDictionary<TKey, TValue> : IReadOnlyDictionary<TKey, TValue>, IEquatable<EquatableDictionary<TKey, TValue>>
    where TKey : notnull
{
    public static EquatableDictionary<TKey, TValue> Empty { get; } = new(ImmutableDictionary<TKey, TValue>.Empty);

    private readonly ImmutableDictionary<TKey, TValue> _items;

    private EquatableDictionary(ImmutableDictionary<TKey, TValue> items) => _items = items;

    /// <summary>
    /// The entries as an equatable map, keeping the key comparer of a <see cref="Dictionary{TKey, TValue}"/>
    /// (ordinal for anything else); null is the empty map.
    /// </summary>
    public static EquatableDictionary<TKey, TValue> From(IEnumerable<KeyValuePair<TKey, TValue>>? items) => items switch
    {
        null => Empty,
        EquatableDictionary<TKey, TValue> map => map,
        Dictionary<TKey, TValue> { Count: 0 } => Empty,
        Dictionary<TKey, TValue> dictionary => new(ImmutableDictionary.CreateRange(dictionary.Comparer, dictionary)),
        _ => new(ImmutableDictionary.CreateRange(items)),
    };

    public TValue this[TKey key] => _items[key];

    public IEnumerable<TKey> Keys => _items.Keys;

    public IEnumerable<TValue> Values => _items.Values;

    public int Count => _items.Count;

    public bool ContainsKey(TKey key) => _items.ContainsKey(key);

    public bool TryGetValue(TKey key, out TValue value) => _items.TryGetValue(key, out value!);

    public bool Equals(EquatableDictionary<TKey, TValue>? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        foreach (var (key, value) in _items)
        {
            if (!other._items.TryGetValue(key, out var theirs) || !EqualityComparer<TValue>.Default.Equals(value, theirs))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as EquatableDictionary<TKey, TValue>);

    /// <summary>Independent of order, as equality is.</summary>
    public override int GetHashCode()
    {
        var hash = Count;
        foreach (var (key, value) in _items)
        {
            hash ^= HashCode.Combine(_items.KeyComparer.GetHashCode(key), value);
        }

        return hash;
    }

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        Count == 0 ? "{}" : "{ " + string.Join(", ", _items.Select(e => $"{e.Key}: {e.Value}").Order(StringComparer.Ordinal)) + " }";
}
