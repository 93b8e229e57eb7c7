using Tangent.Kernels.Backends;

namespace Tangent.Inference.Posteriors;

/// <summary>
/// The one registry of posterior-file loaders, by the method name stored in the file's metadata. A new method adds
/// its line here; <see cref="PosteriorFile.Load"/> and everything above it then handle its files.
/// </summary>
public static class PosteriorLoaders
{
    /// <summary>Loader of each method: file contents and backend → posterior.</summary>
    public static IReadOnlyDictionary<string, Func<StoredPosterior, Backend, IPosterior>> ByMethod { get; } =
        new Dictionary<string, Func<StoredPosterior, Backend, IPosterior>>(StringComparer.Ordinal)
        {
            [MapPosterior.MethodName] = MapPosterior.Load,
            [Scalla.ScallaPosterior.MethodName] = Scalla.ScallaPosterior.Load,
            [Laplace.LastLayerLaplace.MethodName] = Laplace.LastLayerLaplace.Load,
            [Laplace.LinearizedLaplace.MethodName] = Laplace.LinearizedLaplace.Load,
            [Viking.VikingPosterior.MethodName] = Viking.VikingPosterior.Load,
            [Projection.ProjectionPosterior.MethodName] = Projection.ProjectionPosterior.Load,
        };
}
