using System.Diagnostics.CodeAnalysis;
using Baton.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace Baton.Grains.Owners;

/// <summary>
/// The implicit subscription of <see cref="LockEventRouterGrain"/>: the <c>locks</c> namespace when the owner index is
/// fed by the stream (dev mode), and no namespace when the locks write the index themselves (Postgres mode, an
/// <see cref="ILockOwnerIndex"/> is registered). Orleans resolves the pattern on each silo through
/// <see cref="StreamFedOwnerIndexPredicateProvider"/>, so in Postgres mode the pulling agents deliver lock events to no
/// router at all, instead of to a router that would drop them (two grain calls per lock cycle).
/// </summary>
public sealed class StreamFedOwnerIndexPredicate : IStreamNamespacePredicate
{
    /// <summary>The pattern Orleans stores in the router's grain-type bindings.</summary>
    public const string Pattern = "baton:stream-fed-owner-index";

    public string PredicatePattern => Pattern;

    public bool IsMatch(string streamNamespace) => streamNamespace == EventNamespaces.Locks;
}

/// <summary>Resolves <see cref="StreamFedOwnerIndexPredicate.Pattern"/> by the silo's mode (see <see cref="StreamFedOwnerIndexPredicate"/>).</summary>
public sealed class StreamFedOwnerIndexPredicateProvider(IServiceProvider services) : IStreamNamespacePredicateProvider
{
    public bool TryGetPredicate(string predicatePattern, [MaybeNullWhen(false)] out IStreamNamespacePredicate predicate)
    {
        if (predicatePattern != StreamFedOwnerIndexPredicate.Pattern)
        {
            predicate = null;
            return false;
        }

        predicate = services.GetService<ILockOwnerIndex>() is null ? new StreamFedOwnerIndexPredicate() : new NoNamespace();
        return true;
    }

    private sealed class NoNamespace : IStreamNamespacePredicate
    {
        public string PredicatePattern => StreamFedOwnerIndexPredicate.Pattern;

        public bool IsMatch(string streamNamespace) => false;
    }
}
