-- 0016: the three document libraries (newsletters, financial reports,
-- bylaws) in the one shape the API answers with, so every read of a
-- document is one statement whatever its library. A library's dates are
-- days on the organisation's calendar (stored as its local midnight);
-- fields a library does not have are NULL. Writes still go to each table.
CREATE OR REPLACE VIEW library_documents AS
SELECT d.id, 'newsletters'::text AS kind, d.title::text AS title, d.description,
       (d.published_date AT TIME ZONE o.time_zone)::date AS published_date,
       NULL::integer AS year, NULL::text AS version, NULL::date AS effective_date,
       NULL::boolean AS is_current,
       CASE WHEN d.file_key IS NULL THEN d.document_url::text END AS link,
       d.file_key::text AS file_key, d.file_name::text AS file_name,
       COALESCE(d.content_type, d.document_type)::text AS content_type,
       d.file_size_bytes AS size_bytes, d.created_by, d.created_at, d.updated_at
FROM newsletter_archives d CROSS JOIN (SELECT time_zone FROM organisation_settings) o
UNION ALL
SELECT d.id, 'financial-reports', d.title, NULL, NULL, d.year, NULL, NULL, NULL,
       CASE WHEN d.file_key IS NULL THEN d.document_url END,
       d.file_key, d.file_name, COALESCE(d.content_type, d.document_type),
       d.file_size_bytes, d.created_by, d.created_at, d.updated_at
FROM financial_reports d
UNION ALL
SELECT d.id, 'bylaws', d.title, NULL, NULL, NULL, d.version,
       (d.effective_date AT TIME ZONE o.time_zone)::date, d.is_current,
       CASE WHEN d.file_key IS NULL THEN d.document_url END,
       d.file_key, d.file_name, COALESCE(d.content_type, d.document_type),
       d.file_size_bytes, d.created_by, d.created_at, d.updated_at
FROM bylaws_documents d CROSS JOIN (SELECT time_zone FROM organisation_settings) o;
