-- Copy mode, step 1: raw tables (one record's JSON text a row) and the functions that
-- check and coerce records in SQL, all under the load's private names in the target schema.
CREATE TABLE {private}raw_songs (object text, object_rank integer, line integer, record text);
CREATE TABLE {private}raw_events (object text, object_rank integer, line integer, record text);

-- Why a record cannot be loaded at all, or NULL. A record that is not JSON is bad, never a
-- failure of the load: the splitter has already refused what it finds, but this check is
-- PostgreSQL's own. Only a record with a raw control character can hold one where JSON
-- refuses it (in a string), so only those pay for the exception block. jsonb refuses \u0000
-- and unpaired surrogates anywhere in the text (only a record with a \u escape can hold
-- them); a number too large for jsonb is no fault of the record.
CREATE FUNCTION {private}record_problem(record text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    j json;
    detail text;
BEGIN
    IF record ~ '[\x01-\x1f]' THEN
        BEGIN
            j := record::json;
        EXCEPTION
            WHEN invalid_text_representation THEN
                GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
                RETURN 'invalid JSON: ' || coalesce(detail, SQLERRM);
        END;
    ELSE
        j := record::json;
    END IF;
    IF strpos(record, '\u') > 0 THEN
        BEGIN
            PERFORM record::jsonb;
        EXCEPTION
            WHEN untranslatable_character OR invalid_text_representation THEN
                RETURN 'a string holds an invalid escape: ' || SQLERRM;
            WHEN numeric_value_out_of_range THEN
                NULL;
        END;
    END IF;
    IF json_typeof(j) <> 'object' THEN
        RETURN 'the record is ' || json_typeof(j) || ', not a JSON object';
    END IF;
    IF (SELECT count(*) <> count(DISTINCT k) FROM json_object_keys(j) AS k) THEN
        RETURN 'a key appears twice in one object';
    END IF;
    RETURN NULL;
END $$;

-- A JSON value coerced as Redshift COPY does into a column of `kind` (text, int4, int8,
-- float8): the value as text (NULL for a missing key, null or blank number), or a problem.
-- Casts that can fail (huge exponents, out of range) run in an exception block; plain
-- numbers, the common case, take the fast path without one.
CREATE FUNCTION {private}coerce(v json, field text, kind text, OUT value text, OUT problem text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t text := json_typeof(v);
    s text;
    n numeric;
BEGIN
    IF t IS NULL OR t = 'null' THEN
        RETURN;
    END IF;
    IF t IN ('object', 'array') THEN
        problem := field || ': an ' || t || ' cannot load into a scalar column';
        RETURN;
    END IF;
    IF kind = 'text' THEN
        value := CASE t WHEN 'string' THEN v #>> '{}' ELSE v::text END;
        RETURN;
    END IF;
    IF t = 'boolean' THEN
        problem := field || ': ' || v::text || ' is not a number';
        RETURN;
    END IF;
    IF t = 'string' THEN
        s := btrim(v #>> '{}', E' \t\n\r');
        IF s = '' THEN
            RETURN;
        END IF;
        IF kind = 'float8' AND s !~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$' THEN
            problem := field || ': ' || v::text || ' is not a number';
            RETURN;
        END IF;
        IF kind <> 'float8' AND s !~ '^[+-]?[0-9]+$' THEN
            problem := field || ': ' || v::text || ' is not an integer';
            RETURN;
        END IF;
    ELSE
        s := v::text;
    END IF;
    IF kind = 'float8' AND s ~ '^[+-]?[0-9.]{1,255}$' THEN
        value := s::float8::text;
        RETURN;
    END IF;
    IF kind <> 'float8' AND s ~ '^[+-]?[0-9]{1,30}$' THEN
        n := s::numeric;
    ELSE
        BEGIN
            IF kind = 'float8' THEN
                value := s::float8::text;
                RETURN;
            END IF;
            n := s::numeric;
        EXCEPTION WHEN others THEN
            problem := field || ': ' || s || ' is out of range';
            RETURN;
        END;
        IF n <> trunc(n) THEN
            problem := field || ': ' || s || ' is not an integer';
            RETURN;
        END IF;
    END IF;
    IF (kind = 'int4' AND n NOT BETWEEN -2147483648 AND 2147483647)
       OR n NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
        problem := field || ': ' || s || ' is out of range';
        RETURN;
    END IF;
    value := n::bigint::text;
END $$;

-- Epoch milliseconds as a UTC timestamp, exactly, over PostgreSQL's whole range.
CREATE FUNCTION {private}ms_to_timestamp(ms bigint) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$
    SELECT (date '1970-01-01' + floor(ms::numeric / 86400000)::integer)::timestamp
           + (ms - floor(ms::numeric / 86400000)::bigint * 86400000) * interval '1 millisecond'
$$;
