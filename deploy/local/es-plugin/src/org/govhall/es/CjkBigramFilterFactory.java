package org.govhall.es;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.elasticsearch.lucene.analysis.miscellaneous.DisableGraphAttribute;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;

/**
 * The "cjk_bigram" token filter: bigrams of CJK characters; settings ignored_scripts (han, hiragana,
 * katakana, hangul) and output_unigrams, as upstream.
 */
final class CjkBigramFilterFactory extends AbstractTokenFilterFactory {

    private final int flags;
    private final boolean outputUnigrams;

    CjkBigramFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name, settings);
        outputUnigrams = settings.getAsBoolean("output_unigrams", false);
        List<String> asArray = settings.getAsList("ignored_scripts");
        Set<String> scripts = new HashSet<>(Arrays.asList("han", "hiragana", "katakana", "hangul"));
        if (asArray != null) {
            scripts.removeAll(asArray);
        }
        int f = 0;
        for (String script : scripts) {
            switch (script) {
                case "han" -> f |= CJKBigramFilter.HAN;
                case "hiragana" -> f |= CJKBigramFilter.HIRAGANA;
                case "katakana" -> f |= CJKBigramFilter.KATAKANA;
                case "hangul" -> f |= CJKBigramFilter.HANGUL;
                default -> { }
            }
        }
        flags = f;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        CJKBigramFilter filter = new CJKBigramFilter(tokenStream, flags, outputUnigrams);
        if (outputUnigrams) {
            // Bigrams and unigrams at once: graph analysis over such a stream is useless and may
            // explode into too many paths (same as upstream).
            filter.addAttribute(DisableGraphAttribute.class);
        }
        return filter;
    }
}
