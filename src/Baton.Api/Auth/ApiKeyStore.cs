using System.Security.Cryptography;
using System.Text;
using Baton.Hosting;

namespace Baton.Api.Auth;

/// <summary>
/// The configured API keys, held only as SHA-256 digests. A presented key is hashed and
/// compared with every digest in constant time, so neither logs nor timing reveal a key.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly Entry[] _entries;

    public ApiKeyStore(IEnumerable<ApiKeyOptions> keys)
    {
        _entries = keys.Select(k => new Entry(Digest(k.Key), k.Principal, k.Roles.ToArray())).ToArray();
    }

    public bool IsEmpty => _entries.Length == 0;

    public bool TryAuthenticate(string presented, out string principal, out IReadOnlyList<string> roles)
    {
        var digest = Digest(presented);
        Entry? match = null;
        foreach (var entry in _entries)
        {
            // No early exit: every digest is compared, whatever matched before.
            if (CryptographicOperations.FixedTimeEquals(entry.Digest, digest) && match is null)
            {
                match = entry;
            }
        }

        principal = match?.Principal ?? "";
        roles = match?.Roles ?? [];
        return match is not null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private sealed record Entry(byte[] Digest, string Principal, string[] Roles);
}
