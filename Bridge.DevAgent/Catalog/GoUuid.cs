namespace Bridge.DevAgent.Catalog;

/// <summary>hashicorp/go-uuid <c>ParseUUID</c>, which Catalog.Register applies to a node ID (nodePreApply).</summary>
internal static class GoUuid
{
    /// <summary>go-uuid's error text for an ID it cannot parse, or null for a valid one.</summary>
    public static string? Problem(string id)
    {
        var bytes = Encoding.UTF8.GetBytes(id);
        if (bytes.Length != 36)
        {
            return "uuid string is wrong length";
        }

        if (bytes[8] != '-' || bytes[13] != '-' || bytes[18] != '-' || bytes[23] != '-')
        {
            return "uuid is improperly formatted";
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (i is 8 or 13 or 18 or 23)
            {
                continue;
            }

            if (!char.IsAsciiHexDigit((char)bytes[i]))
            {
                // encoding/hex InvalidByteError, formatted with %#U.
                var rune = (int)bytes[i];
                var printable = rune >= 0x20 && rune != 0x7f && !(rune >= 0x80 && rune < 0xa0);
                var code = "U+" + rune.ToString("X4", CultureInfo.InvariantCulture);
                return "encoding/hex: invalid byte: " + (printable ? $"{code} '{(char)rune}'" : code);
            }
        }

        return null;
    }
}
