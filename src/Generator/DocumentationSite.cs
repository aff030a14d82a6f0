namespace TypedNets.Generator;

/// <summary>
/// Where the documentation site (built by docfx from <c>docs/docfx.json</c>) is published. Every diagnostic's help link
/// is a page of it, so that an IDE opens the page from the error list; a relative path such as
/// <c>docs/diagnostics/TN0001.md</c> would only resolve inside a clone of the repository.
/// </summary>
/// <remarks>
/// The one place the address is set: a move of the site changes this constant (and the tests that spell it out, with
/// the MSBuild error TN0035's link in <c>src/Dsl/buildTransitive/TypedNets.Dsl.targets</c>, which a test holds to it).
/// </remarks>
internal static class DocumentationSite
{
    /// <summary>The site's root, ending in a slash.</summary>
    public const string BaseUrl = "https://typednets.github.io/typednets/";

    /// <summary>The page docfx builds from <c>docs/diagnostics/{id}.md</c>.</summary>
    public static string DiagnosticPage(string id) => BaseUrl + "diagnostics/" + id + ".html";
}
