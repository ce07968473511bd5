using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Baton.Hosting;

public static class WebApplicationBuilderExtensions
{
    /// <summary>
    /// Binds and validates the <c>Baton</c> section now (the silo is wired from it), and
    /// registers it as validated options for everything that reads it later.
    /// </summary>
    public static BatonOptions AddBatonOptions(this WebApplicationBuilder builder)
    {
        var options = BatonOptionsValidator.BindAndValidate(builder.Configuration);
        builder.Services.AddSingleton<IValidateOptions<BatonOptions>, BatonOptionsValidator>();
        builder.Services.AddOptions<BatonOptions>().Bind(builder.Configuration.GetSection(BatonOptions.Section)).ValidateOnStart();
        return options;
    }
}
